// What every oneDNN kernel shares: the engine, one stream per thread, memory descriptors for
// Kiln's row-major tensors, and PrimitiveKernel, which binds buffers to a primitive and runs it.
//
// Activations stay in TensorFlow's layout (NHWC, row-major); only constant weights move, once,
// into whatever layout the primitive picked for them (format_tag::any). Scratch memory is the
// plan's (scratchpad_mode::user), so Kiln allocates nothing to run a primitive (oneDNN's own
// execute() still builds a small map of its arguments) and two threads running the same
// primitive never share a scratchpad.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <kiln/core/fingerprint.hpp>
#include <kiln/kernels/prepared_kernel.hpp>
#include "threads.hpp"

namespace kiln::cpu_kernels {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

inline const dnnl::engine& engine() {
  static const dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

// oneDNN streams must not be shared between threads: each thread gets its own.
inline dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(engine());
  return stream;
}

// oneDNN's element type for a Kiln dtype; undef when oneDNN has none (int64, float64, bool).
inline memory::data_type onednn_type(DType t) {
  switch (t) {
    case DType::float32:
      return memory::data_type::f32;
    case DType::float16:
      return memory::data_type::f16;
    case DType::bfloat16:
      return memory::data_type::bf16;
    case DType::int8:
      return memory::data_type::s8;
    case DType::uint8:
      return memory::data_type::u8;
    case DType::int32:
      return memory::data_type::s32;
    default:
      return memory::data_type::undef;
  }
}

inline memory::dims dims_of(const Shape& shape) {
  return memory::dims(shape.dims().begin(), shape.dims().end());
}

// A row-major tensor of the given dims. oneDNN has no rank-0 memory: a scalar is [1].
inline memory::desc plain_md(memory::dims dims, memory::data_type type) {
  if (dims.empty()) dims = {1};
  memory::dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    const auto u = static_cast<std::size_t>(i);
    strides[u] = strides[u + 1] * std::max<memory::dim>(dims[u + 1], 1);
  }
  return memory::desc(dims, type, strides);
}
inline memory::desc plain_md(const TensorType& t) {
  return plain_md(dims_of(t.shape), onednn_type(t.dtype));
}

// Row-major [..., K, N] weights whose rows lie 16 floats (a 64-byte cache line) further apart
// than N. oneDNN 2.6's f32 matmul on AVX2 (gemm:jit) packs a panel of the weights at a time,
// reading down their columns; when a row is a multiple of 512 bytes long, those reads fall on
// a few of the cache's sets. Measured on one thread, [128, 768] x [768, N]: the padded layout
// was 1.4-3.3x as fast for N = 256, 384, 512, 640, 768, 1024, 1536, 2048 (a transformer's
// feed-forward [768, 3072]: 39 GFLOP/s plain, 88 padded) and 0.70-0.99x for N = 64, 96, 200,
// 500, 1000, 2000; see constant_weights_matmul.
inline constexpr memory::dim row_padding = 16;

inline memory::desc padded_rows_md(const memory::dims& dims) {
  memory::dims strides(dims.size());
  memory::dim stride = 1;
  for (std::size_t i = dims.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= dims[i] + (i + 1 == dims.size() ? row_padding : 0);
  }
  return memory::desc(dims, memory::data_type::f32, strides);
}

// [..., K, N] weights stored transposed, as row-major [..., N, K]: the K weights of each output
// channel lie together. A product with one row of input (a batch-1 Dense layer, a recurrent
// step's h x U) then reads them as N dot products along stored rows; see
// constant_weights_matmul for when Kiln picks this.
inline memory::desc transposed_md(const memory::dims& dims,
                                  memory::data_type type = memory::data_type::f32) {
  memory::dims stored = dims;
  const std::size_t last = dims.size() - 1;
  std::swap(stored[last], stored[last - 1]);
  const memory::desc plain = plain_md(stored, type);
  const memory::dim* plain_strides = plain.data.format_desc.blocking.strides;
  memory::dims strides(plain_strides, plain_strides + dims.size());
  std::swap(strides[last], strides[last - 1]);
  return memory::desc(dims, type, strides);
}

// `dims` with leading ones up to `rank` (NumPy's broadcasting aligns shapes at the end).
inline memory::dims padded_dims(const Shape& shape, int rank) {
  memory::dims dims(static_cast<std::size_t>(rank) - shape.dims().size(), 1);
  dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
  return dims;
}

// "brgconv:avx512_core" and the like, as oneDNN names its implementations (ONEDNN_VERBOSE too).
inline std::string onednn_name(const dnnl::primitive_desc_base& pd) {
  return std::string("onednn ") + pd.impl_info_str();
}

inline dnnl::primitive_attr user_scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Constant weights in the layout a primitive picked, shared by every kernel that needs the same
// bytes in the same layout: the plans one model compiles for several batch sizes fold the same
// weights anew each time, and would otherwise each keep a reordered copy (98 MiB for ResNet50).
// Entries live while a kernel holds them; a match is checked byte for byte, never by hash alone.
struct ReorderedWeights {
  Tensor source;  // the bytes the target was made from
  memory::desc from, to;
  std::shared_ptr<std::byte> storage;  // the target's bytes: Kiln's, on huge pages when large
  memory target;
};

namespace weights_detail {

struct Cache {
  std::mutex mutex;
  std::unordered_multimap<std::uint64_t, std::weak_ptr<const ReorderedWeights>> entries;
};

inline Cache& cache() {
  static Cache instance;
  return instance;
}

}  // namespace weights_detail

// Row-major float32 `value` into `target`, each row of `row` floats padded as padded_rows_md
// lays them out: oneDNN has only its generic reorder for that layout (19 ms for 768 x 3072).
inline void copy_into_padded_rows(const Tensor& value, memory::dim row, std::byte* target) {
  const auto row_bytes = static_cast<std::size_t>(row) * sizeof(float);
  const auto stride = static_cast<std::size_t>(row + row_padding) * sizeof(float);
  const auto* source = static_cast<const std::byte*>(value.raw());
  const std::size_t rows = value.byte_size() / row_bytes;
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(target + r * stride, source + r * row_bytes, row_bytes);
    std::memset(target + r * stride + row_bytes, 0, stride - row_bytes);  // never read; defined
  }
}

// `value`, laid out as `from`, in the layout `to`: from the cache, or copied now. The copy runs
// on one thread: it is memory-bound, a second thread buys little, and on a busy machine every
// compile would wait for it.
inline std::shared_ptr<const ReorderedWeights> reordered(const Tensor& value,
                                                         const memory::desc& from,
                                                         const memory::desc& to) {
  weights_detail::Cache& cache = weights_detail::cache();
  const std::uint64_t key = sampled_fingerprint(value);
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto range = cache.entries.equal_range(key);
    for (auto it = range.first; it != range.second;) {
      std::shared_ptr<const ReorderedWeights> entry = it->second.lock();
      if (!entry) {
        it = cache.entries.erase(it);
        continue;
      }
      if (entry->from == from && entry->to == to && same_contents(entry->source, value)) {
        return entry;
      }
      ++it;
    }
  }
  auto made = std::make_shared<ReorderedWeights>();
  made->source = value;
  made->from = from;
  made->to = to;
  made->storage = allocate_tensor_storage(to.get_size(), /*zero=*/false);
  made->target = memory(to, engine(), made->storage.get());
  const memory::dims dims = from.dims();
  if (from == plain_md(dims, memory::data_type::f32) && to == padded_rows_md(dims)) {
    copy_into_padded_rows(value, dims.back(), made->storage.get());
  } else {
    const ThreadScope one_thread(openmp_threads(), 1);
    memory source(from, engine(), const_cast<void*>(value.raw()));  // only read
    dnnl::stream stream(engine());
    dnnl::reorder(source, made->target).execute(stream, source, made->target);
    stream.wait();
  }
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.entries.emplace(key, made);
  return made;
}

// A kernel that runs one oneDNN primitive. Each argument comes from one of the node's inputs or
// outputs, from the plan's scratch buffer, or from memory the kernel owns (reordered weights,
// constants); derived classes add them in prepare and may add work around the primitive.
class PrimitiveKernel : public PreparedKernel {
 public:
  struct State final : KernelState {
    std::vector<memory> memories;
    std::vector<dnnl_exec_arg_t> args;
    std::vector<void*> bound;  // the handle each memory holds now
  };

  std::unique_ptr<KernelState> make_state() const override {
    auto state = std::make_unique<State>();
    for (const Arg& a : args_) {
      memory m = a.source == Source::owned ? a.owned : memory(a.md, engine(), DNNL_MEMORY_NONE);
      state->args.push_back({a.onednn_arg, m.get()});
      state->memories.push_back(std::move(m));
      state->bound.push_back(nullptr);
    }
    return state;
  }

  // A loop Kiln runs over the (float32) output after the primitive: an epilogue step that
  // oneDNN computes more slowly (epilogue.hpp).
  using OutputPass = void (*)(const float* x, float* y, std::int64_t n);

  void run(const KernelArgs& args) const override {
    execute(args);
    if (after_) {
      auto* out = static_cast<float*>(args.outputs[0]);
      after_(out, out, after_elements_);
    }
  }

 protected:
  enum class Source { input, output, scratch, owned };
  struct Arg {
    int onednn_arg;
    Source source;
    std::size_t index;  // input or output number
    memory::desc md;
    memory owned;  // for Source::owned
  };

  void add_input(int onednn_arg, std::size_t input, const memory::desc& md) {
    args_.push_back({onednn_arg, Source::input, input, md, {}});
  }
  void add_output(int onednn_arg, std::size_t output, const memory::desc& md) {
    args_.push_back({onednn_arg, Source::output, output, md, {}});
  }
  void add_owned(int onednn_arg, memory m) {
    owned_bytes_ += m.get_desc().get_size();
    args_.push_back({onednn_arg, Source::owned, 0, m.get_desc(), m});
  }
  // Weights from input `input`, laid out as `given`, for a primitive that wants `wanted`: read
  // in place when the layouts agree, else reordered once (the input must then be constant).
  void add_weights(int onednn_arg, std::size_t input, const KernelRequest& request,
                   const memory::desc& given, const memory::desc& wanted) {
    if (given == wanted) return add_input(onednn_arg, input, given);
    std::shared_ptr<const ReorderedWeights> weights =
        reordered(*request.constant(input), given, wanted);
    add_owned(onednn_arg, weights->target);
    weights_.push_back(std::move(weights));
  }
  // Creates the primitive and names the implementation from its descriptor.
  template <class Primitive, class PrimitiveDesc>
  void set_primitive(const PrimitiveDesc& pd) {
    primitive_ = Primitive(pd);
    implementation_ = onednn_name(pd);
    const memory::desc scratch = pd.scratchpad_desc();
    scratch_bytes_ = scratch.get_size();
    if (scratch_bytes_ > 0) args_.push_back({DNNL_ARG_SCRATCHPAD, Source::scratch, 0, scratch, {}});
  }

  // Points every memory at this run's buffers (only where they moved) and runs the primitive.
  void execute(const KernelArgs& args) const {
    State& state = static_cast<State&>(*args.state);
    for (std::size_t i = 0; i < args_.size(); ++i) {
      const Arg& a = args_[i];
      void* p = nullptr;
      switch (a.source) {
        case Source::input:
          p = const_cast<void*>(args.inputs[a.index]);
          break;
        case Source::output:
          p = args.outputs[a.index];
          break;
        case Source::scratch:
          p = args.scratch;
          break;
        case Source::owned:
          continue;
      }
      if (state.bound[i] != p) {
        state.memories[i].set_data_handle(p);
        state.bound[i] = p;
      }
    }
    // The C call: the C++ execute() builds a std::vector of arguments on every call.
    dnnl::error::wrap_c_api(
        dnnl_primitive_execute(primitive_.get(), thread_stream().get(),
                               static_cast<int>(state.args.size()), state.args.data()),
        "could not execute a primitive");
  }

  void set_output_pass(OutputPass pass, const memory::desc& output) {
    after_ = pass;
    after_elements_ = static_cast<std::int64_t>(output.get_size() / sizeof(float));
  }

  dnnl::primitive primitive_;
  std::vector<Arg> args_;
  std::vector<std::shared_ptr<const ReorderedWeights>> weights_;  // held for add_owned's memory
  OutputPass after_ = nullptr;
  std::int64_t after_elements_ = 0;
};

// Runs `make` and turns oneDNN's refusal (an unsupported shape, post-op or layout) into a
// decline, so the node falls back to the reference kernel with the reason in the plan summary.
template <class Make>
KernelPtr try_onednn(const KernelRequest& request, Make&& make) {
  try {
    return make();
  } catch (const dnnl::error& e) {
    return request.decline(std::string("oneDNN declined: ") + e.what());
  }
}

}  // namespace kiln::cpu_kernels
