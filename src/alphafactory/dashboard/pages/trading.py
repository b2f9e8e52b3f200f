"""Trading: a bot's store: equity against the backtest of its decisions, positions, orders,
fills, risk interventions and decisions."""

from __future__ import annotations

import importlib.util

import pandas as pd
import streamlit as st

from alphafactory.dashboard import trading_shaping as ts
from alphafactory.dashboard import ui
from alphafactory.errors import AlphaFactoryError
from alphafactory.runs import runs_root

_LOCATION_KEY = "alphafactory_trading_location"
_BOT_KEY = "alphafactory_trading_bot"
_HOW = (
    "A trading bot writes its decisions, orders, fills, positions and equity to a trading "
    "store (SQLite, `trading/<bot>.db` by default). Make one by paper-trading the bundled "
    "daily bars, offline, in seconds:\n\n"
    "```bash\nalphafactory trade run research/trading/daily.toml --paper --speed 0\n```\n\n"
    "Start the dashboard from the same folder, point it at the stores with "
    "`alphafactory dashboard --trading PATH/trading` (a folder, a `.db` file or a SQLAlchemy "
    "URL), or type their location in the sidebar."
)


@st.cache_resource(show_spinner=False, max_entries=16)
def _store(url: str):
    from alphafactory.live import TradingStore

    return TradingStore(url)


@st.cache_data(show_spinner="Backtesting the bot's decisions ...", max_entries=16)
def _parity(url: str, bot: str, decisions: int, last: str
            ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str | None]:
    """The backtest's equity and interventions, or why there is none (cached per decision
    count and last decision: a running bot's new decisions refresh it)."""
    from alphafactory.live.parity import backtest_of_store

    try:
        found = backtest_of_store(_store(url), bot)
    except (AlphaFactoryError, ValueError, OSError, ImportError) as exc:
        return None, None, str(exc)
    return found.equity, found.interventions, None


def _stop_with(message: str, icon: str = ":material/info:") -> None:
    st.title("Trading")
    st.info(message, icon=icon)
    st.stop()


ui.setup_page("Trading")
location = st.sidebar.text_input(
    "Trading stores", value=ts.default_location(runs_root()), key=_LOCATION_KEY,
    help="A folder of trading stores (`*.db`), one store file, or a SQLAlchemy URL "
         "(`postgresql+psycopg://user@host/db`).",
).strip()  # fmt: skip
if importlib.util.find_spec("sqlalchemy") is None:
    _stop_with("The Trading page reads trading stores with SQLAlchemy: install the `live` "
               "extra (`pip install 'alphafactory[live]'`).")
try:
    stores = ts.find_stores(location)
except Exception as exc:  # a server URL: whatever its driver raises, say it and stop
    st.title("Trading")
    st.warning(f"Cannot read the trading store at `{location}`: {type(exc).__name__}: {exc}",
               icon=":material/warning:")
    st.stop()
if not stores:
    _stop_with(f"No trading stores at `{location}` (SQLite files `*.db` or a URL holding a "
               f"`decisions` table).\n\n{_HOW}")

choices = [(label, url, bot) for label, url in stores.items() for bot in _store(url).bots()]
if not choices:
    _stop_with(f"The trading stores at `{location}` hold no decisions yet.\n\n{_HOW}")
options = [f"{bot} · {label}" if len(stores) > 1 else bot for label, _, bot in choices]
remembered = st.session_state.get(_BOT_KEY)
option = st.sidebar.selectbox("Bot", options,
                              index=options.index(remembered) if remembered in options else 0,
                              help="Bots with decisions in the stores found.")
st.session_state[_BOT_KEY] = option
label, url, bot = choices[options.index(option)]
store = _store(url)
tables = ts.bot_tables(store, bot)
head = ts.summary(tables)

st.title(f"Trading · {bot}")
st.caption(" · ".join([f"`{label}`", *ts.trading_file_bits(tables.flags.get("trading_file")),
                       f"{head['decisions']} decisions", f"{head['fills']} fills"]))

# -- the headline ---------------------------------------------------------------------------------
cols = st.columns(4)
cols[0].metric("Equity", f"{head['equity']:,.0f}")
cols[1].metric("Return", ui.format_metric("return", head["return"]),
               help="Since the equity of the first decision (the starting cash).")
cols[2].metric("Cash", f"{head['cash']:,.0f}")
cols[3].metric("Open orders", f"{head['open_orders']:,}")
cols = st.columns(4)
cols[0].metric("Halted", "yes" if head["halted"] else "no",
               help=f"Kill switch: {head['halted']}" if head["halted"]
               else "The kill switch (`alphafactory trade stop FILE`) is not set.")
cols[1].metric("Model version", head["model_version"] or "n/a",
               help="The version the bot scores with now (n/a: a model-free score).")
last = head["last_decision"]
cols[2].metric("Last decision", "n/a" if last is None else last.strftime("%Y-%m-%d %H:%M"),
               help="Bar close, UTC.")

# -- live versus backtest -------------------------------------------------------------------------
st.subheader("Live vs backtest")
equity, logged, problem = _parity(url, bot, head["decisions"], str(last))
if problem is not None:
    st.warning(f"No backtest to compare: {problem}", icon=":material/warning:")
    equity = tables.equity[["equity"]].rename(columns={"equity": "live"})
else:
    gap = ts.largest_gap(equity)
    cols[3].metric("Parity gap", f"{1e4 * gap:.2g} bps", help="The largest relative gap between "
                   "the stored equity and the backtest's, over the decisions.")
st.plotly_chart(ts.equity_figure(equity))
st.caption("The backtest runs the trading file's rule, costs, cash and risk limits on the scores "
           "the bot stored with each decision, so scoring is the same on both sides and a gap "
           "is execution: fills, rejects, the kill switch, or sizing from the last close.")

# -- positions ------------------------------------------------------------------------------------
st.subheader("Positions")
positions = ts.latest_positions(tables)
if positions.empty:
    st.info("Flat: no positions at the last snapshot.", icon=":material/hide_source:")
else:
    st.dataframe(positions, width="stretch", hide_index=True, column_config={
        "quantity": st.column_config.NumberColumn(format="%.4f"),
        "average cost": st.column_config.NumberColumn(format="%.4f"),
        "cost basis": st.column_config.NumberColumn(format="localized"),
        "target weight": st.column_config.NumberColumn(format="%.3f"),
    })  # fmt: skip
    st.caption("At the last bar's close, before its decision traded; `target weight`: the last "
               "decision's risk-checked target.")

# -- orders ---------------------------------------------------------------------------------------
st.subheader("Orders")
counts = ts.order_status_counts(tables.orders)
if not counts:
    st.info("No orders yet.", icon=":material/hide_source:")
else:
    shown = [("orders", len(tables.orders)), *counts.items()]
    for col, (state, n) in zip(st.columns(len(shown)), shown, strict=True):
        col.metric(state.replace("_", " ").capitalize(), f"{n:,}")
    orders = ts.orders_table(tables.orders)
    if st.toggle("Open orders only", value=False):
        orders = orders[orders["status"].isin(ts.OPEN_STATES)]
    st.dataframe(orders, width="stretch", hide_index=True)
    ids = orders["client order id"].tolist()
    if ids:
        chosen = st.selectbox("Order events of", ids, help="Every state transition of one "
                              "order, as the store recorded it.")
        st.dataframe(ts.order_events_table(tables.events, chosen), width="stretch",
                     hide_index=True)

# -- fills ----------------------------------------------------------------------------------------
st.subheader("Fills")
if tables.fills.empty:
    st.info("No fills yet.", icon=":material/hide_source:")
else:
    st.dataframe(ts.fills_table(tables.fills), width="stretch", hide_index=True,
                 column_config={"notional": st.column_config.NumberColumn(format="localized")})

# -- risk -----------------------------------------------------------------------------------------
st.subheader("Risk interventions")
interventions = ts.interventions_table(tables.decisions)
if interventions.empty:
    st.info("The risk manager changed no decision.", icon=":material/verified_user:")
else:
    st.dataframe(interventions, width="stretch", hide_index=True)
    st.caption("Decisions whose risk-checked target differs from the rule's proposal, newest "
               "first: `limit` reduced it, `halt` flattened it (a breaker's halt in force), "
               "`breaker` set a target without a proposal (a trip on the close).")
if logged is not None and len(logged):
    with st.expander(f"Which limits acted, and why ({len(logged)}, from the backtest)"):
        st.dataframe(ts.risk_log_table(logged), width="stretch", hide_index=True)

# -- decisions ------------------------------------------------------------------------------------
st.subheader("Decisions")
st.dataframe(ts.decisions_table(tables), width="stretch", hide_index=True, column_config={
    "equity": st.column_config.NumberColumn(format="localized"),
    "cash": st.column_config.NumberColumn(format="localized"),
    "gross target": st.column_config.NumberColumn(format="%.3f"),
})  # fmt: skip
st.caption("Newest first; times UTC (bar closes). `model version`: the version that scored it.")
