// The plan's device logic without a GPU: a backend whose "device" is host memory behind the same
// DeviceHooks the cuda backend implements (malloc, memcpy, a queue that counts). It checks what a
// plan does on any device backend: constants uploaded once at compile, one allocation and one
// queue per run instance, copies only at the graph's edges and around host fallbacks (which the
// summary names), and results equal to the reference backend's.
#include <cstdlib>
#include <cstring>
#include <kiln/kiln.hpp>
#include <kiln/session.hpp>

#include "../support.hpp"
#include "cuda_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

struct FakeDevice {
  int allocations = 0, live = 0, queues = 0, live_queues = 0, waits = 0;
  std::size_t uploaded = 0, downloaded = 0;
  bool present = true;
};
FakeDevice fake;

// A device kernel of the fake device: AddV2 on equal shapes, reading "device" (host) memory.
class FakeAdd final : public PreparedKernel {
 public:
  explicit FakeAdd(std::int64_t n) : n_(n) { implementation_ = "fake device add"; }
  void run(const KernelArgs& args) const override {
    REQUIRE(args.queue != nullptr);  // every step gets its instance's queue
    const auto* a = static_cast<const float*>(args.inputs[0]);
    const auto* b = static_cast<const float*>(args.inputs[1]);
    auto* y = static_cast<float*>(args.outputs[0]);
    for (std::int64_t i = 0; i < n_; ++i) y[i] = a[i] + b[i];
  }

 private:
  std::int64_t n_;
};

KernelPtr make_fake_add(const KernelRequest& request) {
  if (request.inputs[0].shape != request.inputs[1].shape) return request.decline("broadcasting");
  return std::make_unique<FakeAdd>(request.outputs[0].shape.num_elements());
}

const KernelFactoryTable& fake_kernels() {
  static const KernelFactoryTable table = {{"AddV2", make_fake_add}};
  return table;
}

BackendDef fake_backend() {
  BackendDef def;
  def.name = "fakegpu";
  def.description = "host memory behind device hooks, for tests";
  def.kernels = fake_kernels;
  def.preference = -2;
  DeviceHooks& d = def.device;
  d.unavailable = [] {
    return fake.present ? std::string() : std::string("no fake device (unplugged)");
  };
  d.allocate = [](std::size_t bytes) {
    ++fake.allocations;
    ++fake.live;
    return std::malloc(bytes);
  };
  d.release = [](void* p) {
    --fake.live;
    std::free(p);
  };
  d.make_queue = []() -> void* {
    ++fake.queues;
    ++fake.live_queues;
    return new int(0);
  };
  d.drop_queue = [](void* q) {
    --fake.live_queues;
    delete static_cast<int*>(q);
  };
  d.to_device = [](void* to, const void* from, std::size_t n, void*) {
    fake.uploaded += n;
    std::memcpy(to, from, n);
  };
  d.to_host = [](void* to, const void* from, std::size_t n, void*) {
    fake.downloaded += n;
    std::memcpy(to, from, n);
  };
  d.wait = [](void*) { ++fake.waits; };
  return def;
}

const bool registered = register_backend(fake_backend());

// y = relu(x + c) * 2 - x: AddV2 has a fake device kernel, Relu, Mul and Sub fall back.
Graph small_graph() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 3});
  Value c = b.constant("c", Tensor::from<float>({2, 3}, {1, -2, 3, -4, 5, -6}));
  Value two = b.constant("two", Tensor::from<float>({}, {2}));
  Value sum = b.op("AddV2", {x, c}, {}, "add");
  Value relu = b.op("Relu", {sum}, {}, "relu");
  Value twice = b.op("Mul", {relu, two}, {}, "twice");
  b.output("y", b.op("Sub", {twice, x}, {}, "sub"));
  return b.finish();
}

const Tensor input = Tensor::from<float>({2, 3}, {0.5f, 1, -1, 2, -3, 4});

}  // namespace

TEST_CASE("a device plan uploads constants once and copies only at edges and fallbacks",
          "[cuda][device]") {
  REQUIRE(registered);
  fake = FakeDevice{};
  const Tensor expected =
      compile(small_graph(), Options().backend(Backend::reference)).run({{"x", input}}).at("y");

  CompiledModel net = compile(small_graph(), Options().backend(Backend("fakegpu")).level("O0"));
  const std::string summary = net.plan()->summary();
  INFO(summary);
  CHECK(summary.find("fake device add") != std::string::npos);
  CHECK(summary.find("reference (no fakegpu kernel), on the host: 1 in, 1 out") !=
        std::string::npos);
  CHECK(summary.find("host-device copies per run") != std::string::npos);
  CHECK(net.plan()->plan().fallback_count() == 3);
  CHECK(fake.allocations == 1);  // the constants, uploaded when the plan was made
  const std::size_t constants = fake.uploaded;
  CHECK(constants >= 6 * sizeof(float));

  const Tensor y = net.run({{"x", input}}).at("y");
  test::check_close(y, expected);
  CHECK(fake.allocations == 2);  // + one for the run instance
  CHECK(fake.queues == 1);
  // Uploads per run: the input, and each fallback's outputs; downloads: its non-constant inputs
  // and the graph's output.
  const std::size_t upload_per_run = fake.uploaded - constants;
  const std::size_t download_per_run = fake.downloaded;
  CHECK(upload_per_run == 4 * 6 * sizeof(float));    // x, relu, twice, sub
  CHECK(download_per_run == 5 * 6 * sizeof(float));  // sum, relu, twice, x (not `two`), y
  CHECK(net.plan()->plan().copy_count() == 9);

  // A second run reuses the instance: no new allocation, the same traffic.
  test::check_close(net.run({{"x", input}}).at("y"), expected);
  CHECK(fake.allocations == 2);
  CHECK(fake.uploaded - constants == 2 * upload_per_run);
}

TEST_CASE("a device plan frees its device memory and queues with the model", "[cuda][device]") {
  fake = FakeDevice{};
  {
    CompiledModel net = compile(small_graph(), Options().backend(Backend("fakegpu")).level("O0"));
    net.run({{"x", input}});
    CHECK(fake.live == 2);
    CHECK(fake.live_queues == 1);
  }
  CHECK(fake.live == 0);
  CHECK(fake.live_queues == 0);
}

TEST_CASE("without its device, a device plan is made but does not run", "[cuda][device]") {
  fake = FakeDevice{};
  fake.present = false;
  CompiledModel net = compile(small_graph(), Options().backend(Backend("fakegpu")).level("O0"));
  CHECK(net.plan()->summary().find("on the host") != std::string::npos);  // printable
  CHECK(fake.allocations == 0);
  CHECK_THROWS_WITH(net.run({{"x", input}}),
                    Catch::Contains("backend 'fakegpu': no fake device (unplugged)"));
  fake.present = true;
}

TEST_CASE("the eager interpreter refuses a device backend", "[cuda][device]") {
  CHECK_THROWS_WITH(EagerInterpreter(small_graph(), Backend("fakegpu")),
                    Catch::Contains("runs compiled plans only"));
}

}  // namespace KILN_TEST_FILE
