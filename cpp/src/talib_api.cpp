#include "alphafactory/talib_api.hpp"

#include <dlfcn.h>

#include <stdexcept>

namespace alphafactory::talib {
namespace {

template <typename Fn>
void resolve(void* handle, const std::string& library, const char* symbol, Fn*& slot) {
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    throw std::runtime_error("TA-Lib symbol " + std::string(symbol) + " not found through " +
                             library);
  }
  slot = reinterpret_cast<Fn*>(address);
}

}  // namespace

std::shared_ptr<const Api> load_api(const std::string& library) {
  // The library is already mapped by `import talib`; this only takes a reference to it, which
  // is never released (the process keeps TA-Lib until it exits anyway).
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw std::runtime_error("Cannot open " + library + ": " + (why ? why : "unknown error"));
  }
  auto api = std::make_shared<Api>();
  resolve(handle, library, "TA_GetFuncHandle", api->get_func_handle);
  resolve(handle, library, "TA_ParamHolderAlloc", api->param_holder_alloc);
  resolve(handle, library, "TA_ParamHolderFree", api->param_holder_free);
  resolve(handle, library, "TA_SetOptInputParamInteger", api->set_opt_input_integer);
  resolve(handle, library, "TA_SetOptInputParamReal", api->set_opt_input_real);
  resolve(handle, library, "TA_SetInputParamRealPtr", api->set_input_real);
  resolve(handle, library, "TA_SetInputParamPricePtr", api->set_input_price);
  resolve(handle, library, "TA_SetOutputParamRealPtr", api->set_output_real);
  resolve(handle, library, "TA_SetOutputParamIntegerPtr", api->set_output_integer);
  resolve(handle, library, "TA_GetLookback", api->get_lookback);
  resolve(handle, library, "TA_CallFunc", api->call_func);
  return api;
}

std::string ret_code_name(RetCode code) {
  static const char* const kNames[] = {
      "TA_SUCCESS",
      "TA_LIB_NOT_INITIALIZE",
      "TA_BAD_PARAM",
      "TA_ALLOC_ERR",
      "TA_GROUP_NOT_FOUND",
      "TA_FUNC_NOT_FOUND",
      "TA_INVALID_HANDLE",
      "TA_INVALID_PARAM_HOLDER",
      "TA_INVALID_PARAM_HOLDER_TYPE",
      "TA_INVALID_PARAM_FUNCTION",
      "TA_INPUT_NOT_ALL_INITIALIZE",
      "TA_OUTPUT_NOT_ALL_INITIALIZE",
      "TA_OUT_OF_RANGE_START_INDEX",
      "TA_OUT_OF_RANGE_END_INDEX",
      "TA_INVALID_LIST_TYPE",
      "TA_BAD_OBJECT",
      "TA_NOT_SUPPORTED",
  };
  constexpr int kKnown = static_cast<int>(sizeof(kNames) / sizeof(kNames[0]));
  const std::string name = (code >= 0 && code < kKnown) ? kNames[code] : "TA-Lib error";
  return name + " (" + std::to_string(code) + ")";
}

}  // namespace alphafactory::talib
