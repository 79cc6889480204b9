// Test hook for checkpoint_integrity_e2e, loaded with LD_PRELOAD (never part of the library):
// widens the window in which two runs started at once claim one checkpoint directory.
//   MRKIT_TEST_CLAIM_DELAY_MS=N  link(2) and rename(2) onto a file named "manifest" wait N ms
//                                first, so both runs have looked for the manifest before
//                                either puts it in place
//   MRKIT_TEST_NO_FLOCK=1        flock(2) always succeeds, as on a file system without locks,
//                                so that only the atomic claim of the manifest protects it
#include <dlfcn.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void delay_if_manifest(const char* to) {
  const char* slash = std::strrchr(to, '/');
  const char* name = slash != nullptr ? slash + 1 : to;
  const char* ms = std::getenv("MRKIT_TEST_CLAIM_DELAY_MS");
  if (ms != nullptr && std::strcmp(name, "manifest") == 0) {
    ::usleep(static_cast<useconds_t>(std::atoi(ms)) * 1000U);
  }
}

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));  // NOLINT: the next definition
}

}  // namespace

extern "C" int link(const char* from, const char* to) {
  delay_if_manifest(to);
  static const auto next = real<int (*)(const char*, const char*)>("link");
  return next(from, to);
}

extern "C" int rename(const char* from, const char* to) {
  delay_if_manifest(to);
  static const auto next = real<int (*)(const char*, const char*)>("rename");
  return next(from, to);
}

extern "C" int flock(int fd, int operation) {
  const char* off = std::getenv("MRKIT_TEST_NO_FLOCK");
  if (off != nullptr && *off != '\0' && *off != '0') return 0;
  static const auto next = real<int (*)(int, int)>("flock");
  return next(fd, operation);
}
