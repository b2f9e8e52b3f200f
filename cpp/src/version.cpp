#include "alphafactory/version.hpp"

namespace alphafactory {

const char* engine_version() noexcept { return "0.1.0"; }

}  // namespace alphafactory
