#pragma once
// TA-Lib's abstract C interface, resolved at run time from the library the `ta-lib` Python
// package already loaded. We do not link TA-Lib at build time: its wheel ships the C library
// under a hashed file name, and the same process must use the one copy (and the one global
// state: unstable periods, compatibility) that `talib` itself uses.
//
// Only entry points whose C signatures have been stable across TA-Lib releases are used; none of
// its info structs is read (their layout changed between releases: 0.8 dropped a field of
// TA_FuncInfo). What a function takes and returns comes from talib's Python introspection.
#include <memory>
#include <string>

namespace alphafactory::talib {

using RetCode = int;  // TA_RetCode; 0 is TA_SUCCESS
using FuncHandle = unsigned int;

// Price fields of a price input, in the order TA-Lib (and talib's Python signatures) list them.
enum PriceFlag : int {
  kOpen = 1,
  kHigh = 2,
  kLow = 4,
  kClose = 8,
  kVolume = 16,
  kOpenInterest = 32,
};

struct ParamHolder;  // opaque: only pointers to it cross the interface

// The entry points of the abstract interface, one pointer each.
struct Api {
  RetCode (*get_func_handle)(const char*, const FuncHandle**);
  RetCode (*param_holder_alloc)(const FuncHandle*, ParamHolder**);
  RetCode (*param_holder_free)(ParamHolder*);
  RetCode (*set_opt_input_integer)(ParamHolder*, unsigned int, int);
  RetCode (*set_opt_input_real)(ParamHolder*, unsigned int, double);
  RetCode (*set_input_real)(ParamHolder*, unsigned int, const double*);
  RetCode (*set_input_price)(ParamHolder*, unsigned int, const double*, const double*,
                             const double*, const double*, const double*, const double*);
  RetCode (*set_output_real)(ParamHolder*, unsigned int, double*);
  RetCode (*set_output_integer)(ParamHolder*, unsigned int, int*);
  RetCode (*get_lookback)(const ParamHolder*, int*);
  RetCode (*call_func)(const ParamHolder*, int, int, int*, int*);
};

// Resolve every entry point from `library` (a path; its already-loaded dependencies are
// searched too, so the path of talib's extension module works). Throws std::runtime_error
// naming the library and the first missing symbol.
std::shared_ptr<const Api> load_api(const std::string& library);

// "TA_BAD_PARAM (2)" and the like, for error messages.
std::string ret_code_name(RetCode code);

}  // namespace alphafactory::talib
