// Test driver for the record sources over files (mapreduce/file_source.hpp): prints every
// record of every task, gathered in task order, once per configuration, so that
// record_sources_e2e.py can compare them with Python's own splitting of the same files.
//
//   record_dump CONFIG... -- PATH...
//   CONFIG: KIND,SPLIT,SCHEDULE with KIND words | words-i | lines | fixed:N, SPLIT bytes per
//           task (0: the default), SCHEDULE static | dynamic; BLOCK (optional 4th) read size.
// Output on the mother, per configuration: "# CONFIG", then "FILE OFFSET HEX" per record.
#include <mrkit/core/runtime.hpp>
#include <mrkit/mapreduce.hpp>

#include <fmt/format.h>
#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, "record_dump", [&](const mrkit::Runtime& rt) {
    std::vector<std::string> configs;
    std::vector<std::string> paths;
    bool in_paths = false;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (!in_paths && arg == "--") {
        in_paths = true;
      } else {
        (in_paths ? paths : configs).push_back(arg);
      }
    }
    if (configs.empty() || paths.empty()) {
      throw mrkit::UsageError("usage: record_dump KIND,SPLIT,SCHEDULE[,BLOCK]... -- PATH...");
    }
    const boost::mpi::communicator& comm = rt.world();
    std::string out;
    for (const std::string& config : configs) {
      const std::vector<std::string> parts = split_commas(config);
      if (parts.size() < 3) throw mrkit::UsageError("bad configuration '" + config + "'");
      mrkit::FileSourceOptions options;
      options.split_bytes = std::stoull(parts[1]);
      options.schedule =
          parts[2] == "static" ? mrkit::Schedule::static_blocks : mrkit::Schedule::dynamic;
      if (parts.size() > 3) options.block_bytes = std::stoull(parts[3]);
      mrkit::FileSource source(comm, paths, options);
      const std::string& kind = parts[0];
      std::size_t record_bytes = 0;
      if (kind.starts_with("fixed:")) {
        record_bytes = std::stoull(kind.substr(6));
        source.check_record_size(record_bytes);
      }
      mrkit::JobOptions job;
      job.schedule = options.schedule;
      auto records = mrkit::map_only<std::string>(
          comm, source.tasks(),
          [&](std::uint64_t task, auto& emit) {
            const auto put = [&](const mrkit::Record& r) {
              emit(fmt::format("{} {} {}\n", r.file, r.offset, hex(r.bytes)));
            };
            if (kind == "words") {
              source.for_each_word(task, put);
            } else if (kind == "words-i") {
              source.for_each_word(task, put, true);
            } else if (kind == "lines") {
              source.for_each_line(task, put);
            } else if (record_bytes != 0) {
              source.for_each_fixed_record(task, record_bytes, put);
            } else {
              throw std::invalid_argument("unknown record kind '" + kind + "'");
            }
          },
          job);
      const std::vector<std::string> all = records.gather();
      if (comm.rank() == mrkit::mother_rank) {
        out += "# " + config + "\n";
        for (const std::string& line : all) out += line;
      }
    }
    if (comm.rank() == mrkit::mother_rank) std::cout << out << std::flush;
    return 0;
  });
}
