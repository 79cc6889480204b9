// Sums 1..1000 over the ranks with mrkit's static scheduler and reduction.
#include <mrkit/mrkit.hpp>  // every layer: runtime, scheduler, reduce, version

#include <cstdio>

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, "consumer", [](mrkit::Runtime& rt) {
    std::uint64_t local = 0;
    (void)mrkit::run_static(rt.world(), 1000,
                            [&](std::uint64_t t, const mrkit::Yield&) { local += t + 1; });
    const std::uint64_t total = mrkit::sum_all(rt.world(), local);
    if (rt.is_mother())
      std::printf("mrkit %s sum %llu\n", std::string(mrkit::version).c_str(),
                  static_cast<unsigned long long>(total));
    return total == 500500 ? 0 : 1;
  });
}
