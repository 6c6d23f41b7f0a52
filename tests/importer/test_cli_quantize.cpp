// `kiln quantize` through the command line, in-process: the digits model calibrated from its
// calibration folder, saved and run again; and the calibration folders it must refuse, saying
// which file is wrong.
#include <filesystem>
#include <fstream>

#include <kiln/npy.hpp>

#include "cli_capture.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kDigits = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models" / "digits_cnn";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Runs `kiln quantize` and returns the message of the kiln::Error it must throw.
std::string quantize_error(const fs::path& calibration, const fs::path& out) {
  try {
    test::capture_cli({"quantize", (kDigits / "saved_model").string(), "--calibration",
                       calibration.string(), "-o", out.string()});
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("kiln quantize accepted calibration folder " << calibration.string());
  return "";
}

}  // namespace

TEST_CASE("kiln quantize writes a SavedModel that kiln run takes, and reports accuracy") {
  const fs::path out = fresh_dir("kiln_cli_quantize_digits");
  const std::string report =
      test::capture_cli({"quantize", (kDigits / "saved_model").string(), "--calibration",
                         (kDigits / "calibration").string(), "-o", out.string(), "--method",
                         "percentile", "--threads", "2"});
  INFO(report);
  CHECK_THAT(report, Catch::Contains("calibrated on 200 samples (13 batches, percentile 99.99%)"));
  CHECK_THAT(report, Catch::Contains("int8: 4 convolutions and products"));
  CHECK_THAT(report, Catch::Contains("top-1 agreement"));
  CHECK(fs::exists(out / "saved_model.pb"));
  const fs::path outputs = out / "outputs";
  test::capture_cli({"run", out.string(), "--inputs",
                     "image=" + (kDigits / "inputs" / "image.npy").string(), "--outdir", outputs.string()});
  const Tensor probs = load_npy((outputs / "output_0.npy").string());
  CHECK(probs.shape() == Shape{360, 10});
  fs::remove_all(out);
}

TEST_CASE("kiln quantize refuses calibration folders that do not fit the signature") {
  const fs::path out = fs::temp_directory_path() / "kiln_cli_quantize_refused";
  const Tensor images = load_npy((kDigits / "calibration" / "image.npy").string());

  const fs::path stray = fresh_dir("kiln_cli_quantize_stray");
  save_npy((stray / "image.npy").string(), images);
  save_npy((stray / "pixels.npy").string(), images);
  CHECK_THAT(quantize_error(stray, out), Catch::Contains("names no input") && Catch::Contains("pixels.npy"));

  const fs::path missing = fresh_dir("kiln_cli_quantize_missing");
  CHECK_THAT(quantize_error(missing, out), Catch::Contains("no calibration file") && Catch::Contains("image"));

  CHECK_THAT(quantize_error(kDigits / "no_such_folder", out), Catch::Contains("folder of .npy"));

  test::require_usage_error({"quantize", (kDigits / "saved_model").string(), "--calibration",
                             (kDigits / "calibration").string(), "-o", out.string(), "--method", "entropy"},
                            {"--method"});
  CHECK_FALSE(fs::exists(out / "saved_model.pb"));
  fs::remove_all(stray);
  fs::remove_all(missing);
}

}  // namespace KILN_TEST_FILE
