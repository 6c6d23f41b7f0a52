// One compiled model shared by 8 threads: mixed batch sizes (so plans are compiled, cached and
// evicted from a cache of two while other threads run them), several signatures, a compiled
// loop (each run has its own loop state), and compiled models created and destroyed while the
// others run. Every result must equal, byte for byte, what a single thread computed first.
//
// Tagged [stress]: it is also the program to run under ThreadSanitizer (README: "A sanitizer
// build"). It uses the reference backend, whose kernels run on the calling thread only, so a
// report can only come from Kiln's own sharing (sessions, plan caches, plan instances).
#include "helpers.hpp"

#include <atomic>
#include <cstring>
#include <thread>

#include <kiln/model.hpp>
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// A deterministic tensor of the given shape with values in [-1, 1].
Tensor pattern(const Shape& shape, std::uint32_t seed) {
  Tensor t(DType::float32, shape);
  std::uint32_t state = seed * 2654435761u + 1;
  for (std::int64_t i = 0; i < t.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2 - 1;
  }
  return t;
}

bool same_bytes(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype() ||
        std::memcmp(it->second.raw(), t.raw(), t.byte_size()) != 0) {
      return false;
    }
  }
  return true;
}

const test::ConformanceCase& fixture(const std::string& label) {
  static const std::vector<test::ConformanceCase> cases = test::fixture_cases();
  for (const test::ConformanceCase& c : cases) {
    if (c.label == label) return c;
  }
  throw Error(Errc::not_found, "fixture missing").found(label);
}

struct Job {
  std::shared_ptr<const Graph> graph;  // for the threads that compile their own
  std::shared_ptr<const CompiledModel> shared;
  NamedTensors feeds, expected;
};

}  // namespace

TEST_CASE("8 threads share compiled models: mixed batches, signatures, a loop, sessions made and dropped",
          "[stress]") {
  const Options options = Options().backend(Backend::reference).max_plans(2);
  std::vector<Job> jobs;
  // A CNN and a Keras LSTM (a compiled loop) at four batch sizes each: more shapes than the
  // plan cache holds.
  const std::vector<std::pair<std::string, std::string>> batched = {
      {"digits_cnn", "image"}, {"control_flow/keras_lstm", "x"}};
  for (const auto& [label, input] : batched) {
    const test::ConformanceCase& c = fixture(label);
    auto graph = std::make_shared<const Graph>(c.graph());
    auto net = std::make_shared<const CompiledModel>(compile(*graph, options));
    const Shape per_sample = c.inputs().at(input).shape();
    for (std::int64_t batch : {1, 2, 3, 5}) {
      std::vector<std::int64_t> dims = per_sample.dims();
      dims[0] = batch;
      jobs.push_back({graph, net, {{input, pattern(Shape(dims), static_cast<std::uint32_t>(batch))}}, {}});
    }
  }
  // Five signatures of one SavedModel, each its own compiled model.
  for (const test::ConformanceCase& c : test::corpus_saved_model_cases()) {
    if (c.label.rfind("captured_constants_tf24/", 0) != 0) continue;
    auto graph = std::make_shared<const Graph>(c.graph());
    jobs.push_back({graph, std::make_shared<const CompiledModel>(compile(*graph, options)), c.inputs(), {}});
  }
  REQUIRE(jobs.size() == 13);
  for (Job& job : jobs) job.expected = job.shared->run(job.feeds);  // one thread, one call

  std::atomic<int> mismatches{0}, failures{0}, own_sessions{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const Job& job = jobs[static_cast<std::size_t>(t * 5 + i * 3) % jobs.size()];
        try {
          if ((t + i) % 10 == 0) {  // a session of its own, made and dropped meanwhile
            const CompiledModel mine = compile(*job.graph, options);
            if (!same_bytes(mine.run(job.feeds), job.expected)) ++mismatches;
            ++own_sessions;
          } else if (!same_bytes(job.shared->run(job.feeds), job.expected)) {
            ++mismatches;
          }
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(mismatches == 0);
  CHECK(own_sessions > 0);
}

}  // namespace KILN_TEST_FILE
