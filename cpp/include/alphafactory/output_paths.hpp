#pragma once
// Output-path safety for the simulator (the C++ twin of alphafactory.runs.output_paths): refuse
// an output that would destroy an input, another output or an existing file, and write outputs
// through a temporary sibling so that an error leaves no partial file behind.
#include <fstream>
#include <string>
#include <vector>

namespace alphafactory {

struct LabeledPath {
  std::string label;  // the flag that named it, e.g. "--trades"
  std::string path;
};

// True when a and b name one file: same inode when both exist, else the same normalised path.
bool same_file(const std::string& a, const std::string& b);

// Throws std::invalid_argument with one line naming the label and the path when an output is a
// directory, is one of the inputs, shares its path with another output, or exists while
// !overwrite. Call it before any work.
void check_output_paths(const std::vector<LabeledPath>& outputs,
                        const std::vector<LabeledPath>& inputs, bool overwrite);

// A file written under a temporary name next to `path` and renamed over it by commit(); the
// destructor removes an uncommitted temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return out_; }
  // Flushes and closes the temporary (std::invalid_argument "cannot write PATH: why" on a failed
  // write); call it for every file before renaming any, so one bad file leaves all untouched.
  void close();
  // Renames the closed temporary over the target.
  void commit();

 private:
  std::string path_;
  std::string tmp_;
  std::ofstream out_;
  bool done_ = false;
};

}  // namespace alphafactory
