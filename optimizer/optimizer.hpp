// Kiln's graph optimizer in one include: the passes, the pipelines, the pass manager and its
// instruments, and the memory planner with the memory plan analysis.
//
//   #include <kiln/optimizer/optimizer.hpp>
//
//   kiln::opt::PassManager pm(kiln::opt::pipeline_for_level("O2"));
//   pm.add_instrument(std::make_shared<kiln::opt::PassStatistics>(std::cout));
//   kiln::opt::PipelineReport report = pm.run(graph);
#pragma once

#include "instruments.hpp"
#include "memory_planner.hpp"
#include "pass.hpp"
#include "pass_manager.hpp"
#include "pipelines.hpp"
#include "plan_memory.hpp"
