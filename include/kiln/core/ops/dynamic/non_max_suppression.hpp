// NonMaxSuppressionV2 to V5: pick boxes by score, dropping those that overlap a picked one.
//
//   V2(boxes, scores, max_output_size, iou_threshold)
//   V3(..., score_threshold)                  only boxes scoring above it take part
//   V4(..., score_threshold)                  + valid_outputs; pad_to_max_output_size pads
//                                              selected_indices with zeros to max_output_size
//   V5(..., score_threshold, soft_nms_sigma)  + selected_scores; sigma > 0 is Soft-NMS: an
//                                              overlap lowers a box's score instead of
//                                              dropping it
//
// The order is TensorFlow's: the highest score first, equal scores by the lower box index. A box
// is dropped when its IoU with a picked box exceeds iou_threshold. Scores are of type T
// (float32 or float16) and every step on them is rounded to T, as TensorFlow's kernel computes
// them, while IoUs are computed in float from the boxes' corners (given in either order).
#pragma once

#include <algorithm>
#include <cmath>
#include <queue>

#include "common.hpp"

namespace kiln::ops::dynamic {

// 2 to 5, from the op's name.
inline int nms_version(const InferContext& ctx) { return ctx.node().op.back() - '0'; }

// Input positions, the same in every version.
constexpr int kNmsBoxes = 0, kNmsScores = 1, kNmsMaxOutput = 2, kNmsIou = 3, kNmsScoreThreshold = 4,
              kNmsSigma = 5;

// What a selection yields: box indices in the order picked, with their (possibly lowered)
// scores, padded with zeros when asked; `valid` counts the real ones.
template <class T> struct NmsSelection {
  std::vector<std::int32_t> indices;
  std::vector<T> scores;
  std::int32_t valid = 0;
};

// The intersection over union of boxes i and j ([y1, x1, y2, x2] each), 0 for an empty box.
template <class T> float box_iou(const T* boxes, std::int64_t i, std::int64_t j) {
  const auto corner = [boxes](std::int64_t box, int k) {
    return static_cast<float>(boxes[box * 4 + k]);
  };
  const float ymin_i = std::min(corner(i, 0), corner(i, 2));
  const float xmin_i = std::min(corner(i, 1), corner(i, 3));
  const float ymax_i = std::max(corner(i, 0), corner(i, 2));
  const float xmax_i = std::max(corner(i, 1), corner(i, 3));
  const float ymin_j = std::min(corner(j, 0), corner(j, 2));
  const float xmin_j = std::min(corner(j, 1), corner(j, 3));
  const float ymax_j = std::max(corner(j, 0), corner(j, 2));
  const float xmax_j = std::max(corner(j, 1), corner(j, 3));
  const float area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i);
  const float area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j);
  if (area_i <= 0 || area_j <= 0) return 0.0f;
  const float height = std::max(std::min(ymax_i, ymax_j) - std::max(ymin_i, ymin_j), 0.0f);
  const float width = std::max(std::min(xmax_i, xmax_j) - std::max(xmin_i, xmin_j), 0.0f);
  const float intersection = height * width;
  return intersection / (area_i + area_j - intersection);
}

// The selection itself, on known values. Each candidate remembers how many picked boxes it has
// already been compared with, so that a soft-suppressed box that returns to the queue is only
// lowered further by boxes picked since.
template <class T>
NmsSelection<T> select_boxes(const T* boxes, const T* scores, std::int64_t num_boxes,
                             std::int64_t max_output, T iou_threshold, T score_threshold,
                             T sigma, bool pad) {
  struct Candidate {
    std::int32_t box;
    T score;
    std::size_t compared;  // picked boxes already applied to the score
  };
  const auto after = [](const Candidate& a, const Candidate& b) {  // a is picked after b
    const float sa = static_cast<float>(a.score), sb = static_cast<float>(b.score);
    return sa < sb || (sa == sb && a.box > b.box);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(after)> queue(after);
  for (std::int64_t i = 0; i < num_boxes; ++i) {
    if (static_cast<float>(scores[i]) > static_cast<float>(score_threshold)) {
      queue.push({static_cast<std::int32_t>(i), scores[i], 0});
    }
  }
  const bool soft = static_cast<float>(sigma) > 0.0f;
  const T scale = soft ? T(static_cast<float>(T(-0.5f)) / static_cast<float>(sigma)) : T(0.0f);
  // exp(scale * iou^2) with each product rounded to T; a hard selection keeps a score (weight
  // 1) up to the threshold and zeroes it beyond.
  const auto weight = [&](T iou) {
    const float f = static_cast<float>(iou);
    const T exponent = T(static_cast<float>(T(static_cast<float>(scale) * f)) * f);
    const T w = T(std::exp(static_cast<float>(exponent)));
    return soft || f <= static_cast<float>(iou_threshold) ? w : T(0.0f);
  };

  NmsSelection<T> result;
  while (static_cast<std::int64_t>(result.indices.size()) < max_output && !queue.empty()) {
    Candidate next = queue.top();
    queue.pop();
    const float original = static_cast<float>(next.score);
    bool dropped = false;
    // Newest picks first: an overlapping box is most likely a recent, similar-scoring one.
    for (std::size_t k = result.indices.size(); k-- > next.compared;) {
      const T iou = T(box_iou(boxes, next.box, result.indices[k]));
      next.score = T(static_cast<float>(next.score) * static_cast<float>(weight(iou)));
      if (!soft && static_cast<float>(iou) > static_cast<float>(iou_threshold)) {
        dropped = true;
        break;
      }
      if (static_cast<float>(next.score) <= static_cast<float>(score_threshold)) break;
    }
    next.compared = result.indices.size();
    if (dropped) continue;
    if (static_cast<float>(next.score) == original) {
      result.indices.push_back(next.box);
      result.scores.push_back(next.score);
    } else if (static_cast<float>(next.score) > static_cast<float>(score_threshold)) {
      queue.push(next);  // lowered but still in the running
    }
  }
  result.valid = static_cast<std::int32_t>(result.indices.size());
  if (pad) {
    result.indices.resize(static_cast<std::size_t>(max_output), 0);
    result.scores.resize(static_cast<std::size_t>(max_output), T(0.0f));
  }
  return result;
}

inline bool nms_pads(const InferContext& ctx) {
  return nms_version(ctx) >= 4 && ctx.attr<bool>("pad_to_max_output_size");
}

// A threshold input's value as T: V2 to V4 give thresholds their own type (T_threshold), which
// TensorFlow converts to T before using them.
template <class T> T nms_scalar(const InferContext& ctx, int i) {
  return T(static_cast<float>(ctx.value(i)->element_as_double(0)));
}

// The selection for a node whose every input is known, after the checks TensorFlow's kernel makes
// on the values.
template <class T> NmsSelection<T> plan_nms(const InferContext& ctx) {
  const int version = nms_version(ctx);
  const std::int64_t max_output = ctx.value(kNmsMaxOutput)->to_int64_vector().at(0);
  if (max_output < 0) {
    throw ctx.error(Errc::invalid_argument, "max_output_size must not be negative")
        .found(std::to_string(max_output));
  }
  const T iou_threshold = nms_scalar<T>(ctx, kNmsIou);
  const float iou = static_cast<float>(iou_threshold);
  if (!(iou >= 0.0f && iou <= 1.0f)) {
    throw ctx.error(Errc::invalid_argument, "iou_threshold must be in [0, 1]")
        .found(std::to_string(iou));
  }
  const T score_threshold = version >= 3 ? nms_scalar<T>(ctx, kNmsScoreThreshold)
                                         : lowest_value<T>();
  const T sigma = version >= 5 ? nms_scalar<T>(ctx, kNmsSigma) : T(0.0f);
  if (!(static_cast<float>(sigma) >= 0.0f)) {
    throw ctx.error(Errc::invalid_argument, "soft_nms_sigma must not be negative")
        .found(std::to_string(static_cast<float>(sigma)));
  }
  const Tensor& boxes = *ctx.value(kNmsBoxes);
  const Tensor& scores = *ctx.value(kNmsScores);
  return select_boxes<T>(boxes.data<T>(), scores.data<T>(), scores.num_elements(), max_output,
                         iou_threshold, score_threshold, sigma, nms_pads(ctx));
}

// Calls fn(type_tag<T>{}) with T the boxes' type (float or half).
template <class Fn> decltype(auto) dispatch_nms_type(DType t, Fn&& fn) {
  if (t == DType::float16) return fn(type_tag<half>{});
  return fn(type_tag<float>{});
}

inline std::vector<TensorType> infer_non_max_suppression(const InferContext& ctx) {
  const int version = nms_version(ctx);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (i == kNmsMaxOutput) continue;
    if (ctx.dtype(i) != DType::float32 && ctx.dtype(i) != DType::float16) {
      throw ctx.error(Errc::type_mismatch, "boxes, scores and thresholds are float32 or float16")
          .input(std::to_string(i))
          .found(dtype_name(ctx.dtype(i)));
    }
  }
  expect_dtype(ctx, kNmsMaxOutput, DType::int32);
  ctx.expect_rank(kNmsBoxes, 2);
  ctx.expect_rank(kNmsScores, 1);
  for (int i = kNmsMaxOutput; i < ctx.num_inputs(); ++i) expect_scalar(ctx, i);
  if (dim_or_unknown(ctx, kNmsBoxes, 1) != kUnknownDim && ctx.shape(kNmsBoxes).dim(1) != 4) {
    throw ctx.error(Errc::shape_mismatch, "boxes must have 4 columns").found(ctx.shape(0).str());
  }
  merge_dim(ctx, dim_or_unknown(ctx, kNmsBoxes, 0), dim_or_unknown(ctx, kNmsScores, 0),
            "the number of boxes and of scores");

  const DType type = ctx.dtype(kNmsBoxes);
  std::int64_t selected = kUnknownDim;
  if (values_known(ctx)) {
    selected = dispatch_nms_type(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return static_cast<std::int64_t>(plan_nms<T>(ctx).indices.size());
    });
  } else if (nms_pads(ctx)) {
    if (const std::optional<Ints> max_output = known_ints(ctx, kNmsMaxOutput)) {
      selected = max_output->at(0);
      array::expect_size(ctx, selected, "max_output_size");
    }
  }
  std::vector<TensorType> out{{DType::int32, Shape({selected})}};
  if (version == 5) out.push_back({type, Shape({selected})});
  if (version >= 4) out.push_back({DType::int32, Shape{}});  // valid_outputs
  return out;
}

}  // namespace kiln::ops::dynamic
