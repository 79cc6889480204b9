// Private to the library: the untyped table behind mrkit::KeyValueTable<K, V>
// (patterns/key_value_table.hpp).
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mrkit::detail {

class TableBytes {
 public:
  explicit TableBytes(const boost::mpi::communicator& comm);
  ~TableBytes();
  TableBytes(const TableBytes&) = delete;
  TableBytes& operator=(const TableBytes&) = delete;

  [[nodiscard]] int owner(std::string_view key) const noexcept;
  void set(const std::string& key, const std::string& value);
  [[nodiscard]] std::optional<std::string> get(const std::string& key);
  bool erase(const std::string& key);
  void synchronize();
  // After synchronize: every rank's entries on `root` (collective).
  [[nodiscard]] std::map<std::string, std::string> gather(int root);
  [[nodiscard]] std::size_t local_size() const noexcept { return entries_.size(); }

 private:
  // Sends a request to `owner` and waits for its answer, serving requests meanwhile.
  std::string ask(int owner, const std::string& request);
  std::string answer(std::string_view request);
  bool serve_waiting();
  static bool serve_all_tables();

  boost::mpi::communicator comm_;
  std::map<std::string, std::string> entries_;  // the keys this rank owns
};

}  // namespace mrkit::detail
