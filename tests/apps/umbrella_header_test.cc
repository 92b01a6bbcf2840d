// The umbrella header <mbrl/mbrl.h> declares every public component: an out-of-tree project
// that includes it needs nothing else (the install test compiles against it).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "mbrl/mbrl.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

std::string text_of(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(UmbrellaHeaderTest, IncludesEveryPublicHeader) {
  const fs::path root = test::source_path("include");
  const std::string umbrella = text_of(root / "mbrl/mbrl.h");
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(root / "mbrl")) {
    if (e.path().extension() != ".h") continue;
    const std::string header = fs::relative(e.path(), root).string();
    const std::string text = text_of(e.path());
    // internal headers say so on their first line; archive_fwd.h only forward-declares torch's
    if (header == "mbrl/mbrl.h" || text.rfind("// Internal:", 0) == 0 ||
        header == "mbrl/io/archive_fwd.h")
      continue;
    ++checked;
    EXPECT_NE(umbrella.find("#include \"" + header + "\""), std::string::npos)
        << header << " is not included by mbrl/mbrl.h";
  }
  EXPECT_GT(checked, 80);
}

TEST(UmbrellaHeaderTest, DeclaresTheMujocoTaskFactories) {
  // what an out-of-tree user builds MuJoCo tasks with (issue: they were missing)
  HalfCheetahOptions options;
  std::shared_ptr<const MujocoTask> task = make_half_cheetah_task(options);
  EXPECT_NE(task, nullptr);
}

}  // namespace
}  // namespace mbrl
