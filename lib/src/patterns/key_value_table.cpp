#include "mrkit/patterns/key_value_table.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/tags.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace mrkit {
namespace {

using detail::check;

// FNV-1a: the same owner for a key on every rank and every machine.
std::uint64_t key_hash(std::string_view key) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Every table alive in this process: a rank waiting in a call on one table answers requests
// for all of them, so two tables used in different orders by different ranks never deadlock.
std::vector<detail::TableBytes*>& live_tables() {
  static std::vector<detail::TableBytes*> tables;
  return tables;
}

}  // namespace

namespace detail {

TableBytes::TableBytes(const boost::mpi::communicator& comm)
    : comm_(comm, boost::mpi::comm_duplicate) {
  live_tables().push_back(this);
}

TableBytes::~TableBytes() {
  try {
    synchronize();
  } catch (...) {  // a destructor must not throw; a broken job is ended by run()
  }
  auto& tables = live_tables();
  tables.erase(std::remove(tables.begin(), tables.end(), this), tables.end());
}

bool TableBytes::serve_all_tables() {
  bool any = false;
  for (TableBytes* table : live_tables()) any = table->serve_waiting() || any;
  return any;
}

int TableBytes::owner(std::string_view key) const noexcept {
  return static_cast<int>(key_hash(key) % static_cast<std::uint64_t>(comm_.size()));
}

void TableBytes::set(const std::string& key, const std::string& value) {
  std::string request;
  append_piece(request, "set");
  append_piece(request, key);
  append_piece(request, value);
  (void)ask(owner(key), request);
}

std::optional<std::string> TableBytes::get(const std::string& key) {
  std::string request;
  append_piece(request, "get");
  append_piece(request, key);
  const std::string reply = ask(owner(key), request);
  PieceReader in(reply);
  if (in.next() != "found") return std::nullopt;
  return std::string(in.next());
}

bool TableBytes::erase(const std::string& key) {
  std::string request;
  append_piece(request, "erase");
  append_piece(request, key);
  const std::string reply = ask(owner(key), request);
  return PieceReader(reply).next() == "found";
}

std::string TableBytes::answer(std::string_view request) {
  PieceReader in(request);
  const std::string_view op = in.next();
  std::string key(in.next());
  std::string reply;
  if (op == "set") {
    entries_[std::move(key)] = std::string(in.next());
    append_piece(reply, "done");
  } else if (op == "get") {
    const auto it = entries_.find(key);
    append_piece(reply, it == entries_.end() ? "missing" : "found");
    if (it != entries_.end()) append_piece(reply, it->second);
  } else if (op == "erase") {
    append_piece(reply, entries_.erase(key) > 0 ? "found" : "missing");
  } else {
    throw std::logic_error("a table request with an unknown operation");
  }
  return reply;
}

bool TableBytes::serve_waiting() {
  bool any = false;
  for (;;) {
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, tags::table_request, comm_, &flag, &status), "MPI_Iprobe");
    if (flag == 0) return any;
    const std::string request = recv_bytes(comm_, status.MPI_SOURCE, tags::table_request);
    send_bytes(comm_, status.MPI_SOURCE, tags::table_reply, answer(request));
    any = true;
  }
}

std::string TableBytes::ask(int owner, const std::string& request) {
  if (owner == comm_.rank()) {
    (void)serve_all_tables();  // a good moment to answer the others too
    return answer(request);
  }
  send_bytes(comm_, owner, tags::table_request, request);
  auto pause = std::chrono::microseconds(2);
  for (;;) {
    int flag = 0;
    check(MPI_Iprobe(owner, tags::table_reply, comm_, &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
    if (flag != 0) return recv_bytes(comm_, owner, tags::table_reply);
    // The owner may be waiting on us: answer while we wait.
    if (serve_all_tables()) {
      pause = std::chrono::microseconds(2);
      continue;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(500));
  }
}

void TableBytes::synchronize() {
  // Every request is answered before its sender goes on, so once all ranks are here no request
  // is on its way: serve until the (non-blocking) barrier completes.
  MPI_Request barrier = MPI_REQUEST_NULL;
  check(MPI_Ibarrier(comm_, &barrier), "MPI_Ibarrier");
  auto pause = std::chrono::microseconds(2);
  for (;;) {
    int done = 0;
    check(MPI_Test(&barrier, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done != 0) return;
    if (serve_all_tables()) {
      pause = std::chrono::microseconds(2);
      continue;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(500));
  }
}

std::map<std::string, std::string> TableBytes::gather(int root) {
  synchronize();
  std::string mine;
  for (const auto& [k, v] : entries_) {
    append_piece(mine, k);
    append_piece(mine, v);
  }
  std::map<std::string, std::string> all;
  for (const std::string& part : gather_bytes(comm_, mine, root)) {
    PieceReader in(part);
    while (!in.done()) {
      std::string k(in.next());
      all.emplace(std::move(k), std::string(in.next()));
    }
  }
  return all;
}

}  // namespace detail
}  // namespace mrkit
