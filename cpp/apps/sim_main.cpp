#include <cstdio>

#include "alphafactory/version.hpp"

int main() {
  std::printf("alphafactory-sim %s\n", alphafactory::engine_version());
  return 0;
}
