// Kiln without any library: build a small graph by hand, print it, run it eagerly.
//
//   g++ -std=c++17 -I include examples/hello_graph.cpp -o hello_graph && ./hello_graph
//
// The graph is one dense layer, y = relu(x·W + b), on a batch of two rows.
#include <iostream>

#include <kiln/kiln.hpp>

int main() {
  using kiln::DType;
  using kiln::Tensor;
  try {
    kiln::GraphBuilder b;
    kiln::Value x = b.input("x", DType::float32, {-1, 3});
    kiln::Value w = b.constant("W", Tensor::from<float>({3, 2}, {1, -1,
                                                                 2, 0,
                                                                 0, 1}));
    kiln::Value bias = b.constant("b", Tensor::from<float>({2}, {0.5f, -4}));
    kiln::Value mm = b.op("MatMul", {x, w}, {}, "dense/MatMul");
    kiln::Value z = b.op("BiasAdd", {mm, bias}, {}, "dense/BiasAdd");
    b.output("y", b.op("Relu", {z}, {}, "dense/Relu"));
    kiln::Graph graph = b.finish();

    std::cout << kiln::print_graph(graph) << '\n';

    // Row 1: [1,2,3]·W = [1+4+0, -1+0+3] = [5, 2]; + b = [5.5, -2]; relu = [5.5, 0]
    // Row 2: [0,1,1]·W = [2, 1];               + b = [2.5, -3]; relu = [2.5, 0]
    Tensor input = Tensor::from<float>({2, 3}, {1, 2, 3, 0, 1, 1});
    kiln::NamedTensors out = kiln::run_eager(graph, {{"x", input}});
    std::cout << "y = " << out.at("y") << '\n';
  } catch (const kiln::Error& e) {
    std::cerr << "kiln: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
