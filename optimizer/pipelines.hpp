// Kiln's pipelines, and every pass by name: the optimizer's table of contents.
//
//   O0  the imported graph as is
//   O1  folding and simplification: the graph computes the same, with less of it
//   O2  everything (the default): also the loop rewrites and fusion
//
// A pipeline can also be spelled as a list of pass names, as `kiln opt --passes` takes it:
// "fold-constants,simplify,fold-affine,fuse-epilogue,simplify"; `fuse` names the group of
// O2's fusion passes (fuse.hpp). The memory plan is no pass: compile() and `kiln opt` make it
// from the final graph (plan_memory.hpp).
#pragma once

#include <string>
#include <string_view>

#include "bf16_products.hpp"
#include "drop_checks.hpp"
#include "fold_constants.hpp"
#include "fuse.hpp"
#include "hoist_loop_products.hpp"
#include "lists_to_tensors.hpp"
#include "loop_variables.hpp"
#include "pass.hpp"
#include "simplify.hpp"

namespace kiln::opt {

inline Pipeline o0() { return {}; }

inline Pipeline o1() {
  return {
      fold_constants_pass(),  // known inputs become constants: Shape/StridedSlice chains vanish
      simplify_pass(),        // identities, control edges, duplicates and dead code go
  };
}

// What O2 does to While loops before fusing (on a graph without loops, a second folding finds
// nothing left to fold).
inline Pipeline loop_passes() {
  return {
      loop_invariants_pass(),      // constant weights move into bodies; unread variables go
      lists_to_tensors_pass(),     // an RNN's TensorLists become tensors with known shapes
      hoist_loop_products_pass(),  // the input projection runs once for all steps
      fold_constants_pass(),       // again: the shapes lists-to-tensors made known fold now (the
                                   // zero states of a second RNN layer, sized by the first's output)
  };
}

inline Pipeline o2() {
  Pipeline pipeline = o1();  // fold-constants, simplify
  for (Pass& p : loop_passes()) pipeline.push_back(std::move(p));
  for (Pass& p : fusion_passes()) pipeline.push_back(std::move(p));  // fuse.hpp lists them
  pipeline.push_back(simplify_pass());  // fusion leaves dead constants and BatchNorm parameters
  return pipeline;
}

// Every pass, in the order O2 first meets them, then the `fuse` group and the passes no level runs.
inline std::vector<Pass> all_passes() {
  std::vector<Pass> passes;
  auto add = [&passes](Pass p) {
    for (const Pass& known : passes) {
      if (known.name == p.name) return;  // O2 runs fold-constants twice
    }
    passes.push_back(std::move(p));
  };
  for (Pass& p : o2()) add(std::move(p));
  add(fuse_pass());
  add(drop_checks_pass());
  add(bf16_products_pass());
  return passes;
}

// "fold-constants,simplify,fuse-layer-norm,...": the pass names of a pipeline, as
// parse_pipeline() reads them and `kiln opt` prints them.
inline std::string pipeline_text(const Pipeline& pipeline) {
  std::string text;
  for (const Pass& p : pipeline) text += (text.empty() ? "" : ",") + p.name;
  return text;
}

inline Pass pass_by_name(std::string_view name) {
  std::string known;
  for (Pass& p : all_passes()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw Error(Errc::not_found, "no optimizer pass of this name")
      .expected(known)
      .found(std::string(name));
}

// "fold-constants,simplify,fuse": names separated by commas (spaces around them are ignored).
inline Pipeline parse_pipeline(std::string_view list) {
  Pipeline pipeline;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view name = list.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty())
      pipeline.push_back(pass_by_name(name));
    else if (comma < list.size())
      throw Error(Errc::invalid_argument, "empty pass name in a pipeline");
    start = comma + 1;
  }
  return pipeline;
}

// "O0", "O1", "O2" (also "-O2").
inline Pipeline pipeline_for_level(std::string_view level) {
  if (!level.empty() && level.front() == '-') level.remove_prefix(1);
  if (level == "O0") return o0();
  if (level == "O1") return o1();
  if (level == "O2") return o2();
  throw Error(Errc::invalid_argument, "unknown optimization level")
      .expected("O0, O1 or O2")
      .found(std::string(level));
}

}  // namespace kiln::opt
