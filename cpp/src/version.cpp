#include "alphafactory/version.hpp"

namespace alphafactory {

// ALPHAFACTORY_VERSION comes from CMake, which reads it from src/alphafactory/__init__.py.
const char* engine_version() noexcept { return ALPHAFACTORY_VERSION; }

}  // namespace alphafactory
