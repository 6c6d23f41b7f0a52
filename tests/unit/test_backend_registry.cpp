// The backend registry as a program without kiln::onednn sees it: `reference` is the only
// backend, asking for another gives a kiln::Error saying so, and registering again changes
// nothing. (tests/cpu/test_backend_registry.cpp sees the same registry with `cpu` linked in.)
#include "../support.hpp"

#include <kiln/backend.hpp>
#include <kiln/core/builder.hpp>
#include <kiln/eager.hpp>
#include <kiln/plan.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const BackendDef* def : registered_backends()) names.push_back(def->name);
  return names;
}

Graph negate_graph() {
  GraphBuilder b;
  b.output("y", b.op("Neg", {b.input("x", DType::float32, {2})}));
  return b.finish();
}

// Runs `error_maker`, which must throw a kiln::Error with `code` whose text holds every part.
template <class F>
void check_error(F error_maker, Errc code, const std::vector<std::string>& parts) {
  try {
    error_maker();
    FAIL("expected a kiln::Error");
  } catch (const Error& e) {
    CHECK(e.code() == code);
    for (const std::string& part : parts) CHECK_THAT(e.what(), Catch::Contains(part));
  }
}

}  // namespace

TEST_CASE("a program without kiln::onednn has the reference backend alone", "[backend]") {
  CHECK(backend_names() == std::vector<std::string>{"reference"});
  CHECK(default_backend() == Backend::reference);
  CHECK(backend_from_name("reference") == Backend::reference);
  CHECK(backend_available(Backend::reference));
  CHECK_FALSE(backend_available(kiln::cpu));
  CHECK(PlanOptions().backend == Backend::reference);
}

TEST_CASE("the reference backend's table lists the reference kernels", "[backend]") {
  const BackendDef* reference = find_backend("reference");
  REQUIRE(reference != nullptr);
  CHECK(reference->name == "reference");
  CHECK_FALSE(reference->reference_fallback);
  CHECK(reference->threads.resolve(4) == 1);  // single-threaded, whatever is asked
  for (const char* op : {"AddV2", "Conv2D", "MatMul", "Softmax", "_FusedConv2D"}) {
    INFO(op);
    CHECK(reference->has_kernel(op));
    CHECK(runs_op(*reference, op));
  }
  CHECK_FALSE(reference->has_kernel("NoSuchOp"));
  CHECK_FALSE(runs_op(*reference, "NoSuchOp"));
  const std::vector<std::string> ops = reference->ops();
  CHECK(std::is_sorted(ops.begin(), ops.end()));
  CHECK(std::find(ops.begin(), ops.end(), "Relu6") != ops.end());
  CHECK(std::find(ops.begin(), ops.end(), "NoSuchOp") == ops.end());
}

TEST_CASE("a backend the program lacks is a clear error wherever it is asked for", "[backend]") {
  check_error([] { backend_from_name("cuda"); }, Errc::invalid_argument,
              {"unknown backend 'cuda'", "not built into this program", "reference"});
  check_error([] { backend_from_name("cpu"); }, Errc::invalid_argument,
              {"unknown backend 'cpu'"});
  check_error([] { require_backend(kiln::cpu); }, Errc::unsupported,
              {"backend 'cpu' is not built into this program", "kiln::onednn"});
  check_error([] { EagerInterpreter(negate_graph(), kiln::cpu); }, Errc::unsupported,
              {"backend 'cpu' is not built into this program"});
  check_error([] { Plan(negate_graph(), PlanOptions{Backend("cuda"), 0}); }, Errc::unsupported,
              {"backend 'cuda' is not built into this program"});
  check_error([] { Backend(""); }, Errc::invalid_argument, {"backend name"});
  check_error([] { Backend(std::string(40, 'x')); }, Errc::invalid_argument, {"backend name"});
}

TEST_CASE("registering a backend twice keeps the first and changes nothing", "[backend]") {
  const BackendDef* before = find_backend("reference");
  CHECK_FALSE(register_backend(reference::backend_def()));
  BackendDef impostor = reference::backend_def();
  impostor.description = "a second definition under a taken name";
  impostor.reference_fallback = true;
  CHECK_FALSE(register_backend(impostor));
  CHECK(backend_names() == std::vector<std::string>{"reference"});
  CHECK(find_backend("reference") == before);
  CHECK_FALSE(find_backend("reference")->reference_fallback);

  BackendDef nameless;
  nameless.kernels = reference::prepared_kernel_table;
  check_error([&] { register_backend(nameless); }, Errc::invalid_argument, {"needs a name"});
  BackendDef tableless;
  tableless.name = "empty";
  check_error([&] { register_backend(tableless); }, Errc::invalid_argument, {"'empty'"});
  CHECK(find_backend("empty") == nullptr);
}

TEST_CASE("make_kernel runs the reference kernel, or names what has none", "[backend]") {
  Node node;
  node.name = "sum";
  node.op = "AddV2";
  node.attrs = {{"T", DType::float32}};
  fill_default_attrs(node);
  const TensorType type{DType::float32, Shape{3}};
  KernelRequest request(node, {type, type}, {type});
  KernelPtr kernel = make_kernel(Backend::reference, request);
  CHECK(kernel->implementation() == "reference");

  const Tensor a = Tensor::from<float>({3}, {1, 2, 3});
  const Tensor b = Tensor::from<float>({3}, {10, 20, 30});
  Tensor out(DType::float32, Shape{3});
  const void* in[] = {a.raw(), b.raw()};
  void* outs[] = {out.raw()};
  Tensor scratch(DType::uint8, Shape{static_cast<std::int64_t>(kernel->scratch_bytes() + 1)});
  KernelArgs args;
  args.inputs = in;
  args.outputs = outs;
  args.scratch = scratch.raw();
  kernel->run(args);
  test::check_equal(out, Tensor::from<float>({3}, {11, 22, 33}));  // 1+10, 2+20, 3+30

  Node mystery;
  mystery.name = "mystery";
  mystery.op = "FancyOp";
  check_error([&] { make_kernel(Backend::reference, KernelRequest(mystery, {}, {})); },
              Errc::unsupported,
              {"no kernel for op 'FancyOp' (node 'mystery') on backend 'reference'"});
}

}  // namespace KILN_TEST_FILE
