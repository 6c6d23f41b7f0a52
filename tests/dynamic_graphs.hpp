// Graphs with data-dependent shapes that the session tests compile, on the reference backend
// (tests/optimizer/test_dynamic_plan.cpp) and on the cpu backend (tests/cpu/).
#pragma once

#include <kiln/core/builder.hpp>

namespace kiln::test {

inline Tensor floats(Shape shape, std::vector<float> values) {
  return Tensor::from_vector<float>(std::move(shape), values);
}

// x [4,3] -> h = Relu(x); the coordinates of h's elements above 0.5 (Where), and those elements
// gathered through a flat index (GatherNd spelled out: rows * 3 + cols into Reshape(h, [-1])),
// doubled, summed, plus one. Sum reads a dynamic value but has a static shape; the AddV2 after
// it is an ordinary prepared step again.
inline Graph where_graph() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {4, 3});
  auto ints = [&](const char* name, std::vector<std::int32_t> v) {
    return b.constant(name,
                      Tensor::from_vector<std::int32_t>({static_cast<std::int64_t>(v.size())}, v));
  };
  Value h = b.op("Relu", {x}, {}, "h");
  Value mask = b.op("Greater", {h, b.constant("half", Tensor::scalar<float>(0.5f))}, {}, "mask");
  Value coords = b.op("Where", {mask}, {}, "where");
  const Attrs column{{"begin_mask", std::int64_t{1}}, {"end_mask", std::int64_t{1}},
                     {"shrink_axis_mask", std::int64_t{2}}};
  Value rows = b.op("StridedSlice", {coords, ints("r0", {0, 0}), ints("r1", {0, 1}),
                                     ints("step", {1, 1})},
                    column, "rows");
  Value cols = b.op("StridedSlice", {coords, ints("c0", {0, 1}), ints("c1", {0, 2}),
                                     ints("step2", {1, 1})},
                    column, "cols");
  Value width = b.constant("width", Tensor::scalar<std::int64_t>(3));
  Value flat_index = b.op("AddV2", {b.op("Mul", {rows, width}, {}, "row_start"), cols}, {}, "flat");
  Value flat_h = b.op("Reshape", {h, ints("minus_one", {-1})}, {}, "flat_h");
  Value axis = b.constant("axis", Tensor::scalar<std::int32_t>(0));
  Value picked = b.op("GatherV2", {flat_h, flat_index, axis}, {}, "picked");
  Value values = b.op("Mul", {picked, b.constant("two", Tensor::scalar<float>(2.0f))}, {}, "values");
  Value total = b.op("Sum", {values, ints("all", {0})}, {}, "total");
  Value shifted = b.op("AddV2", {total, b.constant("one", Tensor::scalar<float>(1.0f))}, {}, "shifted");
  b.output("coords", coords);
  b.output("values", values);
  b.output("shifted", shifted);
  b.output("h", h);
  return b.finish();
}

// Six boxes, [y1, x1, y2, x2]: 0, 1 and 2 overlap (IoU 0.82 for 0-1 and 0-2, 0.67 for 1-2; box
// 2 has its corners swapped), 3 and 4 overlap (0.82), 5 stands alone. The suppression keeps up
// to 4 boxes scoring above 0.4 with IoU at most 0.5; their boxes and scores are gathered, and
// the boxes projected to [y1 + y2, x1 + x2] by a MatMul (whose rows the data decides).
inline const char* const kNmsGraph = R"(
  graph {
    inputs: boxes = %boxes, scores = %scores
    %boxes = Placeholder() {dtype = float32, shape = [6,4]}
    %scores = Placeholder() {dtype = float32, shape = [6]}
    %max_output = Const() {dtype = int32, value = int32[] {4}}
    %iou = Const() {dtype = float32, value = float32[] {0.5}}
    %min_score = Const() {dtype = float32, value = float32[] {0.4}}
    %nms = NonMaxSuppressionV3(%boxes, %scores, %max_output, %iou, %min_score)
        {T = float32, T_threshold = float32}
    %axis = Const() {dtype = int32, value = int32[] {0}}
    %picked_boxes = GatherV2(%boxes, %nms, %axis)
        {Taxis = int32, Tindices = int32, Tparams = float32, batch_dims = 0}
    %picked_scores = GatherV2(%scores, %nms, %axis)
        {Taxis = int32, Tindices = int32, Tparams = float32, batch_dims = 0}
    %sum_corners = Const() {dtype = float32, value = float32[4,2] {1, 0, 0, 1, 1, 0, 0, 1}}
    %projected = MatMul(%picked_boxes, %sum_corners)
        {T = float32, transpose_a = false, transpose_b = false}
    %count = Size(%nms) {T = int32, out_type = int32}
    %ten = Const() {dtype = int32, value = int32[] {10}}
    %count_times_ten = Mul(%count, %ten) {T = int32}
    outputs: selected = %nms, boxes = %picked_boxes, scores = %picked_scores,
             projected = %projected, count = %count_times_ten
  })";

inline const Tensor kBoxes = floats({6, 4}, {0, 0, 1, 1,     0, 0.1f, 1, 1.1f,
                                              1, 0.9f, 0, -0.1f, 0, 10, 1, 11,
                                              0, 10.1f, 1, 11.1f, 0, 100, 1, 101});

}  // namespace kiln::test
