#pragma once

namespace alphafactory {

// Version of the C++ engine library; the Python package checks it against its own at import.
const char* engine_version() noexcept;

}  // namespace alphafactory
