#include "alphafactory/csv_sim.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "alphafactory/matching_engine.hpp"
#include "alphafactory/output_paths.hpp"

namespace alphafactory {

namespace {

__extension__ typedef __int128 i128;

constexpr const char* kHeader = "ts,instrument,order_id,account,side,type,price,qty";

struct Decimal {
  int64_t mantissa = 0;
  int scale = 0;  // digits after the point
};

// A field as it may appear inside a one-line message: control bytes and bytes >= 0x80 (which
// could be a line separator such as U+2028 or NEL) as \xNN, at most 80 bytes of the field.
std::string shown(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s.substr(0, 80)) {
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, int64_t* out) {
  s = trim(s);
  if (s.empty()) return false;
  bool neg = false;
  if (s.front() == '-' || s.front() == '+') {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

bool parse_decimal(std::string_view s, Decimal* out) {
  s = trim(s);
  if (s.empty()) return false;
  bool neg = false;
  if (s.front() == '-' || s.front() == '+') {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  int64_t v = 0;
  int digits = 0, scale = 0;
  bool point = false, any = false;
  for (char c : s) {
    if (c == '.') {
      if (point) return false;
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    any = true;
    if (digits == 0 && c == '0' && !point) continue;  // leading zeros
    if (++digits > 18) return false;
    v = v * 10 + (c - '0');
    if (point) ++scale;
  }
  if (!any) return false;
  *out = Decimal{neg ? -v : v, scale};
  return true;
}

i128 pow10(int n) {
  i128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// Price text -> ticks, with the 1e-9 relative tolerance. Returns an error message or "".
std::string to_ticks(const Decimal& price, const Decimal& tick, int64_t* ticks) {
  const int scale = price.scale > tick.scale ? price.scale : tick.scale;
  const i128 p = static_cast<i128>(price.mantissa) * pow10(scale - price.scale);
  const i128 t = static_cast<i128>(tick.mantissa) * pow10(scale - tick.scale);
  i128 q = p / t;
  i128 r = p - q * t;
  if (2 * (r < 0 ? -r : r) >= t) q += (p < 0 ? -1 : 1);
  r = p - q * t;
  const long double rel = static_cast<long double>(r < 0 ? -r : r);
  if (rel * 1e9L > static_cast<long double>(p < 0 ? -p : p)) return "is not a multiple of the tick size";
  if (q > kMaxPrice || q < -kMaxPrice) return "is out of range";
  *ticks = static_cast<int64_t>(q);
  return "";
}

std::string format_price(int64_t ticks, const Decimal& tick) {
  i128 v = static_cast<i128>(ticks) * tick.mantissa;
  const bool neg = v < 0;
  if (neg) v = -v;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  if (tick.scale > 0) {
    while (static_cast<int>(digits.size()) <= tick.scale) digits.insert(digits.begin(), '0');
    digits.insert(digits.end() - tick.scale, '.');
  }
  return neg ? "-" + digits : digits;
}

int8_t parse_type(std::string_view s) {
  static const char* names[] = {"LIMIT", "MARKET", "IOC", "FOK", "POST_ONLY", "CANCEL", "MODIFY"};
  for (int i = 0; i < 7; ++i)
    if (s == names[i]) return static_cast<int8_t>(i + 1);
  return 0;
}

std::string read_orders(const std::string& path) {
  std::error_code ec;
  // An ifstream opens a directory and reads nothing: name it instead of running an empty book.
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error(path + ": is a directory; expected an orders CSV file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path + ": " +
                             (errno ? std::strerror(errno) : "open failed"));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.empty())
    throw std::runtime_error(path + ": is empty (0 bytes); expected the header '" + kHeader +
                             "'");
  return text;
}

}  // namespace

const char* event_name(int8_t event) {
  switch (static_cast<EventType>(event)) {
    case EventType::kAccepted: return "ACCEPTED";
    case EventType::kRejected: return "REJECTED";
    case EventType::kCanceled: return "CANCELED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kFilled: return "FILLED";
  }
  return "UNKNOWN";
}

const char* reason_name(int8_t reason) {
  switch (static_cast<Reason>(reason)) {
    case Reason::kNone: return "NONE";
    case Reason::kDuplicateId: return "DUPLICATE_ID";
    case Reason::kNonPositiveQty: return "NON_POSITIVE_QTY";
    case Reason::kNonPositivePrice: return "NON_POSITIVE_PRICE";
    case Reason::kUnknownId: return "UNKNOWN_ID";
    case Reason::kInvalidSide: return "INVALID_SIDE";
    case Reason::kInvalidType: return "INVALID_TYPE";
    case Reason::kUnknownInstrument: return "UNKNOWN_INSTRUMENT";
    case Reason::kQtyOutOfRange: return "QTY_OUT_OF_RANGE";
    case Reason::kPriceOutOfRange: return "PRICE_OUT_OF_RANGE";
    case Reason::kWouldCross: return "WOULD_CROSS";
    case Reason::kRiskMaxQty: return "RISK_MAX_QTY";
    case Reason::kRiskMaxNotional: return "RISK_MAX_NOTIONAL";
    case Reason::kRiskMaxPosition: return "RISK_MAX_POSITION";
    case Reason::kRiskMaxOpenOrders: return "RISK_MAX_OPEN_ORDERS";
    case Reason::kRiskPriceCollar: return "RISK_PRICE_COLLAR";
    case Reason::kRiskKillSwitch: return "RISK_KILL_SWITCH";
    case Reason::kSelfTrade: return "SELF_TRADE";
    case Reason::kQtyOverflow: return "QTY_OVERFLOW";
    case Reason::kUser: return "USER";
    case Reason::kIocRemainder: return "IOC_REMAINDER";
    case Reason::kMarketNoLiquidity: return "MARKET_NO_LIQUIDITY";
    case Reason::kFokUnfilled: return "FOK_UNFILLED";
  }
  return "UNKNOWN";
}

SimResult simulate_csv(const std::string& orders_path, const std::string& trades_path,
                       const std::string& events_path, const SimOptions& options) {
  Decimal tick;
  if (!parse_decimal(options.tick_size, &tick) || tick.mantissa <= 0)
    throw std::invalid_argument("--tick-size: must be a positive decimal, got '" +
                                options.tick_size + "'");
  const double tick_value = std::strtod(options.tick_size.c_str(), nullptr);
  check_output_paths({{"--trades", trades_path}, {"--events", events_path}},
                     {{"--orders", orders_path}}, options.overwrite);
  const std::string text = read_orders(orders_path);

  SimResult result;
  std::vector<OrderMsg> msgs;
  std::vector<int32_t> instruments;
  std::size_t pos = 0;
  int64_t line_no = 0;
  bool header_seen = false;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    if (!header_seen) {
      if (line != kHeader)
        throw std::runtime_error(orders_path + ":" + std::to_string(line_no) +
                                 ": expected the header '" + kHeader + "', got '" +
                                 shown(line) + "'");
      header_seen = true;
      continue;
    }
    ++result.rows;
    const auto bad = [&](const std::string& why) {
      result.errors.push_back(orders_path + ":" + std::to_string(line_no) + ": " + why);
    };
    std::string_view f[8];
    std::size_t n_fields = 0, start = 0;
    for (std::size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ',') {
        if (n_fields < 8) f[n_fields] = line.substr(start, i - start);
        ++n_fields;
        start = i + 1;
      }
    }
    OrderMsg m{};
    int64_t v = 0;
    const char* names[] = {"ts", "instrument", "order_id", "account"};
    std::string err;
    if (n_fields != 8) {
      err = "expected 8 fields, got " + std::to_string(n_fields);
    } else {
      int64_t ints[4];
      for (int k = 0; k < 4 && err.empty(); ++k) {
        if (!parse_int(f[k], &ints[k]))
          err = std::string(names[k]) + " '" + shown(trim(f[k])) + "' is not an integer";
        else if (k != 0 && k != 2 && (ints[k] < INT32_MIN || ints[k] > INT32_MAX))
          err = std::string(names[k]) + " " + std::to_string(ints[k]) + " is out of range";
      }
      if (err.empty()) {
        m.ts = ints[0];
        m.instrument = static_cast<int32_t>(ints[1]);
        m.order_id = ints[2];
        m.account = static_cast<int32_t>(ints[3]);
        const std::string_view side = trim(f[4]), type = trim(f[5]);
        m.type = parse_type(type);
        const bool is_cancel = m.type == static_cast<int8_t>(OrderType::kCancel);
        const bool priced = m.type != static_cast<int8_t>(OrderType::kMarket) && !is_cancel;
        if (side == "B") m.side = kBuy;
        else if (side == "S") m.side = kSell;
        else err = "side must be B or S, got '" + shown(side) + "'";
        if (err.empty() && m.type == 0) err = "unknown order type '" + shown(type) + "'";
        if (err.empty() && priced) {
          Decimal price;
          if (!parse_decimal(f[6], &price)) {
            err = "price '" + shown(trim(f[6])) + "' is not a decimal number";
          } else {
            const std::string why = to_ticks(price, tick, &m.price);
            if (!why.empty())
              err = "price " + shown(trim(f[6])) + " " + why + " " + options.tick_size;
          }
        }
        if (err.empty() && !is_cancel) {
          if (!parse_int(f[7], &v)) err = "qty '" + shown(trim(f[7])) + "' is not an integer";
          else m.qty = v;
        }
      }
    }
    if (!err.empty()) {
      bad(err);
      if (options.strict) {
        result.aborted = true;
        return result;
      }
      continue;
    }
    msgs.push_back(m);
  }
  if (!header_seen)
    throw std::runtime_error(orders_path + ": has only blank lines; expected the header '" +
                             kHeader + "'");

  EngineConfig config;
  config.tick_size = tick_value;
  config.stp = options.stp;
  config.emit_accepted = options.emit_accepted;
  MatchingEngine engine(config);
  for (const OrderMsg& m : msgs)
    if (!engine.has_instrument(m.instrument)) engine.add_instrument(m.instrument, tick_value, 1.0);
  engine.process(msgs.data(), msgs.size());
  result.orders = static_cast<int64_t>(msgs.size());

  AtomicFile trades_file(trades_path);
  std::ofstream& trades = trades_file.stream();
  std::string buf;
  buf.reserve(1 << 20);
  buf += "ts,instrument,trade_id,price,qty,aggressor_side,maker_order_id,taker_order_id,"
         "maker_account,taker_account\n";
  for (const Trade& t : engine.trades()) {
    buf += std::to_string(t.ts) + ',' + std::to_string(t.instrument) + ',' +
           std::to_string(t.trade_id) + ',' + format_price(t.price, tick) + ',' +
           std::to_string(t.qty) + ',' + (t.aggressor_side == kBuy ? 'B' : 'S') + ',' +
           std::to_string(t.maker_order_id) + ',' + std::to_string(t.taker_order_id) + ',' +
           std::to_string(t.maker_account) + ',' + std::to_string(t.taker_account) + '\n';
    if (buf.size() > (1 << 20)) {
      trades << buf;
      buf.clear();
    }
  }
  trades << buf;
  buf.clear();
  AtomicFile events_file(events_path);
  std::ofstream& events = events_file.stream();
  buf += "ts,instrument,order_id,event,reason,remaining_qty\n";
  for (const Event& e : engine.events()) {
    buf += std::to_string(e.ts) + ',' + std::to_string(e.instrument) + ',' +
           std::to_string(e.order_id) + ',' + event_name(e.event) + ',' + reason_name(e.reason) +
           ',' + std::to_string(e.remaining_qty) + '\n';
    if (buf.size() > (1 << 20)) {
      events << buf;
      buf.clear();
    }
  }
  events << buf;
  trades_file.close();
  events_file.close();
  trades_file.commit();
  events_file.commit();
  result.trades = static_cast<int64_t>(engine.trades().size());
  result.events = static_cast<int64_t>(engine.events().size());
  return result;
}

}  // namespace alphafactory
