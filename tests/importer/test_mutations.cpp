// Mutation smoke tests: thousands of deterministic byte flips and truncations of real and crafted
// files. Whatever the bytes say, the readers must answer with a value or a kiln::Error, never a
// crash, a hang or another exception; run under -fsanitize=address,undefined this also checks
// for memory errors.
#include <catch2/catch.hpp>

#include <google/protobuf/stubs/logging.h>

#include <kiln/savedmodel.hpp>

#include "importer_test_util.hpp"
#include "savedmodel/proto_io.hpp"
#include "savedmodel/tensor_proto.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;

namespace {

// A fixed pseudo-random sequence (a 32-bit LCG), so every run tests the same mutations.
struct Lcg {
  std::uint32_t state;
  std::uint32_t next() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  }
};

// Runs `fn`; a kiln::Error is a fine answer, any other exception fails the test.
template <class Fn> bool survives(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Keeps libprotobuf's UTF-8 complaints out of the test output while mutating.
struct QuietProtobuf {
  google::protobuf::LogHandler* previous = google::protobuf::SetLogHandler(nullptr);
  ~QuietProtobuf() { google::protobuf::SetLogHandler(previous); }
};

}  // namespace

TEST_CASE("mutated index blocks (with valid CRCs) give values or kiln::Errors") {
  tf::BundleHeaderProto header;
  header.set_num_shards(1);
  tf::BundleEntryProto entry;
  entry.set_dtype(tf::DT_FLOAT);
  entry.mutable_shape()->add_dim()->set_size(2);
  entry.set_size(8);
  const std::string data = float_bytes({1.0f, 2.0f});
  entry.set_crc32c(importer::crc32c_mask(importer::crc32c(data.data(), data.size())));
  const std::string block =
      table_block({{"", header.SerializeAsString()}, {"w", entry.SerializeAsString()}});

  TempDir dir;
  write_bytes(dir / "ckpt.data-00000-of-00001", data);
  QuietProtobuf quiet;
  Lcg rng{7};
  int opened = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string mutated = block;
    const int flips = 1 + static_cast<int>(rng.next() % 3);
    for (int f = 0; f < flips; ++f) {
      mutated[rng.next() % mutated.size()] = static_cast<char>(rng.next());
    }
    if (round % 5 == 0) mutated.resize(rng.next() % mutated.size());
    write_bytes(dir / "ckpt.index", make_table_from_block(mutated));
    opened += survives([&] {
      const TensorBundle bundle = TensorBundle::open(dir / "ckpt");
      for (const std::string& key : bundle.keys()) {
        survives([&] { bundle.read(key); });
        survives([&] { bundle.read_strings(key); });
      }
    });
  }
  CHECK(opened > 0);  // some mutations leave a readable bundle (e.g. in an unused byte)
}

TEST_CASE("mutated and truncated real index files give kiln::Errors") {
  for (const std::string model : {"keras_mlp_tf211", "half_plus_two_tf2"}) {
    TempDir dir;
    const std::string prefix = copy_corpus_bundle(model, dir);
    const std::string original = read_bytes(prefix + ".index");
    for (std::size_t length = 0; length < original.size(); ++length) {
      write_bytes(prefix + ".index", original.substr(0, length));
      CHECK_FALSE(survives([&] { TensorBundle::open(prefix); }));
    }
    for (std::size_t at = 0; at < original.size(); ++at) {
      std::string mutated = original;
      mutated[at] = static_cast<char>(mutated[at] ^ 0x10);
      write_bytes(prefix + ".index", mutated);
      survives([&] { TensorBundle::open(prefix); });  // footer padding flips may still open
    }
  }
}

TEST_CASE("mutated SavedModel and GraphDef protobufs give values or kiln::Errors") {
  QuietProtobuf quiet;
  Lcg rng{11};
  for (const std::string file : {"half_plus_two_tf1/saved_model.pb", "frozen/mlp_tf2_frozen.pb"}) {
    const std::string original = read_bytes(corpus(file));
    const bool graph_def = file.find("frozen") != std::string::npos;
    for (int round = 0; round < 300; ++round) {
      std::string mutated = original;
      for (int f = 0; f < 4; ++f) {
        mutated[rng.next() % mutated.size()] = static_cast<char>(rng.next());
      }
      if (round % 4 == 0) mutated.resize(rng.next() % mutated.size());
      survives([&] {
        tf::SavedModel saved;
        tf::GraphDef graph;
        if (graph_def) {
          importer::parse_binary_proto(mutated, graph, ImportLimits{}, file, "GraphDef");
        } else {
          importer::parse_binary_proto(mutated, saved, ImportLimits{}, file, "SavedModel");
          if (saved.meta_graphs_size() > 0) graph = saved.meta_graphs(0).graph_def();
        }
        for (const auto& node : graph.node()) {
          for (const auto& [name, value] : node.attr()) {
            if (value.has_tensor()) {
              survives([&] { importer::tensor_from_proto(value.tensor(), ImportLimits{}); });
            }
            if (value.has_shape()) survives([&] { importer::shape_from_proto(value.shape()); });
          }
        }
      });
    }
  }
}

}  // namespace KILN_TEST_FILE
