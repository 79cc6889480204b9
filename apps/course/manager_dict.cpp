// manager_dict: the course's Manager examples. A dict and a list that every rank can change
// (a KeyValueTable spread over the ranks): a child sets three keys and reverses the list, the
// mother prints them; then p1 appends a record and p2 prints the records.
#include <mrkit/core/runtime.hpp>
#include <mrkit/patterns/key_value_table.hpp>
#include "role_output.hpp"

#include <fmt/format.h>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <string>
#include <utility>

namespace {

constexpr const char* program = "manager_dict";
constexpr const char* description =
    "The course's Manager().dict() and list() on MPI: tables spread over the ranks that any "
    "rank can read and change.";
using Record = std::pair<std::string, int>;

std::string manager_dict(mrkit::Runtime& rt) {
  const int p = rt.size();
  const int p1 = mrkit::child_rank(1, p);
  const int p2 = mrkit::child_rank(2, p);
  std::string story;

  {  // d = manager.dict(); l = manager.list(range(10)); f(d, l) in a child
    // Keys and values as Python shows them, so the mother prints the course's line.
    mrkit::KeyValueTable<std::string, std::string> d(rt.world());
    mrkit::KeyValueTable<int, int> l(rt.world());
    if (rt.is_mother()) {
      for (int i = 0; i < 10; ++i) l.set(i, i);
    }
    l.synchronize();
    if (rt.rank() == p1) {
      d.set("1", "'1'");
      d.set("'2'", "2");
      d.set("0.25", "None");
      for (int i = 0; i < 5; ++i) {  // l.reverse()
        const int a = *l.get(i);
        const int b = *l.get(9 - i);
        l.set(i, b);
        l.set(9 - i, a);
      }
    }
    d.synchronize();  // p.join()
    l.synchronize();
    if (rt.is_mother()) {
      std::string shown;
      for (const char* key : {"1", "'2'", "0.25"}) {  // insertion order, as Python prints it
        shown += fmt::format("{}{}: {}", shown.empty() ? "" : ", ", key, d.get(key).value_or("?"));
      }
      story += "{" + shown + "}\n[";
      for (int i = 0; i < 10; ++i) story += fmt::format("{}{}", i ? ", " : "", *l.get(i));
      story += "]\n\n";
    }
  }

  // records = manager.list([('Sam', 10), ('Adam', 9), ('Kevin', 9)])
  mrkit::KeyValueTable<int, Record> records(rt.world());
  mrkit::KeyValueTable<std::string, int> size(rt.world());
  if (rt.is_mother()) {
    const Record start[] = {{"Sam", 10}, {"Adam", 9}, {"Kevin", 9}};
    for (int i = 0; i < 3; ++i) records.set(i, start[i]);
    size.set("records", 3);
  }
  size.synchronize();
  mrkit::RoleOutput mine;
  if (rt.rank() == p1) {  // insert_record(new_record, records)
    const int n = *size.get("records");
    records.set(n, Record{"Jeff", 8});
    size.set("records", n + 1);
    mine["1"] = "Nouvel élément ajouté!\n\n";
  }
  size.synchronize();  // p1.join(), then p2.start()
  records.synchronize();
  if (rt.rank() == p2) {  // print_records(records)
    const int n = *size.get("records");
    for (int i = 0; i < n; ++i) {
      const Record r = *records.get(i);
      mine["2"] += fmt::format("Nom: {}\nScore: {}\n\n", r.first, r.second);
    }
  }
  records.synchronize();  // p2.join(): the owners answer p2 until it is done
  const mrkit::RoleOutput all = mrkit::gather_role_output(rt.world(), mine);
  if (!rt.is_mother()) return {};
  return story + all.at("1") + all.at("2");
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::course_main(argc, argv, program, description, manager_dict);
}
