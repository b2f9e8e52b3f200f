#include "alphafactory/output_paths.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace alphafactory {

namespace fs = std::filesystem;

namespace {

fs::path normalised(const std::string& p) {
  // Absolute first: weakly_canonical leaves a relative path with no existing prefix ("t.csv")
  // relative, while "./t.csv" comes back absolute.
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec).lexically_normal();
  fs::path out = fs::weakly_canonical(abs, ec);  // resolves symlinks and ".." where they exist
  return ec ? abs : out;
}

std::string why(int err) { return err ? std::strerror(err) : "write failed"; }

}  // namespace

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    const bool eq = fs::equivalent(a, b, ec);  // catches hard links too
    if (!ec) return eq;
  }
  return normalised(a) == normalised(b);
}

void check_output_paths(const std::vector<LabeledPath>& outputs,
                        const std::vector<LabeledPath>& inputs, bool overwrite) {
  std::error_code ec;
  for (const LabeledPath& out : outputs) {
    if (fs::is_directory(out.path, ec))
      throw std::invalid_argument(out.label + " " + out.path +
                                  ": is a directory; an output must be a file path");
    for (const LabeledPath& in : inputs)
      if (same_file(out.path, in.path))
        throw std::invalid_argument(out.label + " " + out.path + ": is the same file as the input " +
                                    in.label + "; writing there would destroy the input, choose "
                                    "another path");
  }
  for (std::size_t i = 0; i < outputs.size(); ++i)
    for (std::size_t j = i + 1; j < outputs.size(); ++j)
      if (same_file(outputs[i].path, outputs[j].path))
        throw std::invalid_argument(outputs[i].label + " and " + outputs[j].label + " are both " +
                                    outputs[i].path + "; each output needs its own path");
  if (!overwrite)
    for (const LabeledPath& out : outputs)
      if (fs::exists(out.path, ec) || fs::is_symlink(out.path, ec))
        throw std::invalid_argument(out.label + " " + out.path +
                                    ": already exists; pass --force to replace it");
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  // Same directory as the target, so the final rename is atomic and never crosses filesystems.
  tmp_ = path_ + ".partial-" + std::to_string(static_cast<long long>(::getpid()));
  errno = 0;
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::invalid_argument("cannot write " + path_ + ": " + why(errno));
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  if (out_.is_open()) out_.close();
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void AtomicFile::close() {
  errno = 0;
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw std::invalid_argument("cannot write " + path_ + ": " + why(errno));
}

void AtomicFile::commit() {
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) throw std::invalid_argument("cannot write " + path_ + ": " + ec.message());
  done_ = true;
}

}  // namespace alphafactory
