// Running out of memory anywhere in compile() or a run surfaces as an exception (a kiln::Error
// where Kiln allocates tensors, std::bad_alloc elsewhere), leaks nothing (the sanitizer builds
// check with LeakSanitizer), and leaves a compiled model usable once memory is back.
//
// This program replaces the global operator new with one that fails after a budget of
// allocations (unlimited outside the scopes below), which is why it is a program of its own.
// Each test walks the budget up from 0, so every allocation on the path fails once.
#include "../support.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#include <kiln/core/builder.hpp>
#include <kiln/session.hpp>

namespace {

std::atomic<long> allocations_left{-1};  // -1: no limit

}  // namespace

void* operator new(std::size_t bytes) {
  for (long left = allocations_left.load(); left >= 0; left = allocations_left.load()) {
    if (left == 0) throw std::bad_alloc();
    if (allocations_left.compare_exchange_weak(left, left - 1)) break;
  }
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t bytes) { return operator new(bytes); }
// The nothrow forms too, so every plain allocation comes from malloc and goes back to free.
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
  try {
    return operator new(bytes);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t bytes, const std::nothrow_t& tag) noexcept { return operator new(bytes, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// Allocations fail after `budget` more while it lives.
class AllocationBudget {
 public:
  explicit AllocationBudget(long budget) { allocations_left = budget; }
  ~AllocationBudget() { allocations_left = -1; }
};

// x [?,2] -> while (i < 3) { acc = Relu(acc @ w) + x; i += 1 }: a product, a loop, a branchless
// body; hand-derived for x = [[1, -1]], w = [[1, 0], [0, 1]]: acc = x, then Relu(x) + x three
// times: [1,-1] -> [2,-1] -> [3,-1] -> [4,-1].
Graph looping_graph() {
  GraphBuilder cond;
  Value i = cond.input("i", DType::int32, Shape{});
  cond.input("acc", DType::float32, Shape{-1, 2});
  cond.input("x", DType::float32, Shape{-1, 2});
  cond.output("go", cond.op("Less", {i, cond.constant("three", Tensor::scalar<std::int32_t>(3))}));
  GraphBuilder body;
  Value bi = body.input("i", DType::int32, Shape{});
  Value acc = body.input("acc", DType::float32, Shape{-1, 2});
  Value bx = body.input("x", DType::float32, Shape{-1, 2});
  Value w = body.constant("w", Tensor::from<float>({2, 2}, {1, 0, 0, 1}));
  body.output("i", body.op("AddV2", {bi, body.constant("one", Tensor::scalar<std::int32_t>(1))}));
  body.output("acc", body.op("AddV2", {body.op("Relu", {body.op("MatMul", {acc, w})}), bx}));
  body.output("x", bx);
  GraphBuilder b;
  Value x = b.input("x", DType::float32, Shape{-1, 2});
  Value start = b.constant("start", Tensor::scalar<std::int32_t>(0));
  const std::vector<Value> out = b.control_flow("While", {start, x, x}, {cond.finish(), body.finish()},
                                                {{"T", DTypes{DType::int32, DType::float32, DType::float32}}},
                                                "loop");
  b.output("y", out[1]);
  return b.finish();
}

const NamedTensors feeds = {{"x", Tensor::from<float>({1, 2}, {1, -1})}};
const Tensor expected = Tensor::from<float>({1, 2}, {4, -1});

}  // namespace

TEST_CASE("every failed allocation in compile and run is an exception, and nothing leaks") {
  const Graph g = looping_graph();
  int failed = 0;
  for (long budget = 0;; ++budget) {
    try {
      NamedTensors out;
      {
        AllocationBudget limit(budget);
        const CompiledModel net = compile(g, Options().backend(Backend::reference));
        out = net.run(feeds);
      }
      test::check_close(out.at("y"), expected);
      break;  // enough memory for everything
    } catch (const Error&) {
      ++failed;
    } catch (const std::bad_alloc&) {
      ++failed;
    }
    REQUIRE(budget < 100000);
  }
  CHECK(failed > 100);  // the walk went through every allocation of compile and run
}

TEST_CASE("a compiled model that ran out of memory in a run still runs once memory is back") {
  const Graph g = looping_graph();
  const CompiledModel net = compile(g, Options().backend(Backend::reference).max_plans(1));
  for (long budget = 0; budget < 400; budget += 7) {
    // A batch of 3 needs a plan of its own: compiling it runs out of memory part way.
    const NamedTensors three = {{"x", Tensor::from<float>({3, 2}, {1, -1, 1, -1, 1, -1})}};
    try {
      AllocationBudget limit(budget);
      net.run(three);
    } catch (const Error&) {
    } catch (const std::bad_alloc&) {
    }
    test::check_close(net.run(feeds).at("y"), expected);
  }
}

}  // namespace KILN_TEST_FILE
