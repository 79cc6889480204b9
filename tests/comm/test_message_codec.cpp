// The byte codec (comm/byte_codec.hpp) and every packed format written with it: values round
// trip, the bytes are the documented little-endian layout (the one checkpoints already hold),
// and a torn or corrupt buffer throws, never reads past its end (the sanitizer build runs this
// too).
#include <mrkit/comm/byte_codec.hpp>
#include <mrkit/comm/message_codec.hpp>
#include <mrkit/io/detail/file_listing.hpp>
#include <mrkit/random/detail/outcome_record.hpp>
#include <mrkit/text/word_counts.hpp>

#include "montecarlo/seed_sweep_record.hpp"
#include "wordcount/word_count_record.hpp"

#include <gtest/gtest.h>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using mrkit::ByteReader;
using mrkit::ByteWriter;

// Every proper prefix of `bytes`, each in a buffer of its own exact size (so a read past its end
// is a heap overflow that AddressSanitizer reports).
template <class Decode>
void expect_every_prefix_throws(const std::string& bytes, Decode decode) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto copy = std::make_unique<char[]>(n + 1);
    std::memcpy(copy.get(), bytes.data(), n);
    const std::string_view prefix(copy.get(), n);
    EXPECT_THROW(decode(prefix), std::runtime_error) << "prefix of " << n << " bytes";
  }
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

TEST(ByteCodec, WritesLittleEndianFixedWidth) {
  std::string out;
  ByteWriter w(out);
  w.u8(0xab);
  w.u32(0x01020304);
  w.i32(-2);
  w.u64(0x0102030405060708);
  w.i64(-1);
  w.f64(1.0);
  w.piece("hi");
  w.bytes("xyz");
  EXPECT_EQ(hex(out),
            "ab"
            "04030201"
            "feffffff"
            "0807060504030201"
            "ffffffffffffffff"
            "000000000000f03f"
            "0200000000000000"
            "6869"
            "78797a");
}

TEST(ByteCodec, RoundTrips) {
  std::string out;
  ByteWriter w(out);
  w.u8(7);
  w.u32(std::numeric_limits<std::uint32_t>::max());
  w.i32(std::numeric_limits<std::int32_t>::min());
  w.u64(std::numeric_limits<std::uint64_t>::max());
  w.i64(std::numeric_limits<std::int64_t>::min());
  w.f64(-0.1);
  w.piece(std::string("a\0b", 3));
  w.piece("");
  w.bytes("tail");
  ByteReader r(out);
  EXPECT_EQ(r.u8(), 7);
  EXPECT_EQ(r.u32(), std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(r.i32(), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(r.u64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(r.i64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(r.f64(), -0.1);
  EXPECT_EQ(r.piece(), std::string_view("a\0b", 3));
  EXPECT_EQ(r.piece(), "");
  EXPECT_FALSE(r.done());
  EXPECT_EQ(r.remaining(), 4U);
  EXPECT_THROW(r.expect_done(), std::runtime_error);
  EXPECT_EQ(r.rest(), "tail");
  EXPECT_TRUE(r.done());
  r.expect_done();
}

TEST(ByteCodec, ShortBufferThrowsTheReadersMessage) {
  std::string out;
  ByteWriter(out).piece("hello");
  expect_every_prefix_throws(out, [](std::string_view b) {
    ByteReader r(b);
    (void)r.piece();
  });
  ByteReader r(std::string_view(out).substr(0, 11), "truncated test record");
  try {
    (void)r.piece();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "truncated test record");
  }
  // A length that points past the end (or wraps) is refused, not followed.
  std::string huge;
  ByteWriter(huge).u64(std::numeric_limits<std::uint64_t>::max());
  EXPECT_THROW((void)ByteReader(huge).piece(), std::runtime_error);
  EXPECT_THROW((void)ByteReader("").u8(), std::runtime_error);
  EXPECT_THROW((void)ByteReader("1234567").u64(), std::runtime_error);
}

TEST(MessageCodec, ValuesRoundTrip) {
  EXPECT_EQ(mrkit::decode<std::uint64_t>(mrkit::encode(std::uint64_t{42})), 42U);
  EXPECT_EQ(mrkit::decode<double>(mrkit::encode(2.5)), 2.5);
  EXPECT_EQ(hex(mrkit::encode(std::int32_t{-2})), "feffffff");
  const std::vector<std::int64_t> v{1, -2, 3};
  EXPECT_EQ(mrkit::decode<std::vector<std::int64_t>>(mrkit::encode(v)), v);
  EXPECT_EQ(mrkit::decode<std::string>(mrkit::encode(std::string("abc"))), "abc");
  const std::map<std::string, int> m{{"a", 1}, {"b", 2}};  // through Boost.Serialization
  EXPECT_EQ((mrkit::decode<std::map<std::string, int>>(mrkit::encode(m))), m);
}

TEST(MessageCodec, WrongSizesThrow) {
  expect_every_prefix_throws(mrkit::encode(std::uint64_t{42}),
                             [](std::string_view b) { (void)mrkit::decode<std::uint64_t>(b); });
  EXPECT_THROW((void)mrkit::decode<std::uint32_t>(mrkit::encode(std::uint64_t{1})),
               std::runtime_error);
  EXPECT_THROW((void)mrkit::decode<std::vector<std::uint64_t>>(std::string(12, '\0')),
               std::runtime_error);
}

TEST(MessageCodec, PiecesRoundTripAndTornOnesThrow) {
  std::string bytes;
  mrkit::append_piece(bytes, "run");
  mrkit::append_piece(bytes, mrkit::encode(std::uint64_t{9}));
  mrkit::append_piece(bytes, "");
  EXPECT_EQ(hex(bytes).substr(0, 22),
            "0300000000000000"
            "72756e");
  mrkit::PieceReader in(bytes);
  EXPECT_EQ(in.next(), "run");
  EXPECT_EQ(in.next_value<std::uint64_t>(), 9U);
  EXPECT_EQ(in.next(), "");
  EXPECT_TRUE(in.done());
  EXPECT_THROW((void)in.next(), std::runtime_error);
  expect_every_prefix_throws(bytes, [](std::string_view b) {
    mrkit::PieceReader r(b);
    while (true) (void)r.next();  // throws at the torn piece, or after the last
  });
}

TEST(WordTableCodec, RoundTripsAndKeepsItsLayout) {
  mrkit::WordCounts table;
  table.add("the", 3);
  table.add(std::string("a\0b", 3), 1);
  const std::string bytes = table.encode();
  mrkit::WordCounts back;
  back.merge_encoded(bytes);
  back.merge_encoded(bytes);
  EXPECT_EQ(back.size(), 2U);
  EXPECT_EQ(back.count("the"), 6U);
  EXPECT_EQ(back.count(std::string("a\0b", 3)), 2U);
  mrkit::WordCounts one;
  one.add("ab", 5);
  EXPECT_EQ(hex(one.encode()),
            "0200000000000000"
            "0500000000000000"
            "6162");
  std::string parts;
  for (const std::string& p : table.encode_partitioned(3)) parts += p;
  EXPECT_EQ(parts.size(), bytes.size());
}

TEST(WordTableCodec, TornBufferThrows) {
  mrkit::WordCounts table;  // one entry: its prefixes are torn, bar the empty table
  table.add("word", 1);
  expect_every_prefix_throws(table.encode(), [](std::string_view b) {
    if (b.empty()) throw std::runtime_error("an empty buffer is a valid empty table");
    mrkit::WordCounts t;
    t.merge_encoded(b);
  });
  std::string huge;
  ByteWriter(huge).u64(std::numeric_limits<std::uint64_t>::max() - 3);
  ByteWriter(huge).u64(1);
  mrkit::WordCounts t;
  EXPECT_THROW(t.merge_encoded(huge), std::runtime_error);
}

TEST(SeedSweepRecord, RoundTrips) {
  std::string record;
  mrkit::append_seed_count(record, 3, 10);
  mrkit::append_seed_count(record, 0, 6);
  EXPECT_EQ(hex(record),
            "0300000000000000"
            "0a00000000000000"
            "0000000000000000"
            "0600000000000000");
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want{{3, 10}, {0, 6}};
  EXPECT_EQ(mrkit::decode_seed_record(record), want);
}

TEST(SeedSweepRecord, TornRecordThrows) {
  std::string record;
  mrkit::append_seed_count(record, 3, 10);
  mrkit::append_seed_count(record, 0, 6);
  expect_every_prefix_throws(record, [](std::string_view b) {
    if (b.size() % 16 == 0) throw std::runtime_error("whole pairs: a valid record");
    (void)mrkit::decode_seed_record(b);
  });
}

TEST(WordCountRecord, RoundTripsWithAndWithoutItsTable) {
  const std::vector<std::pair<std::size_t, std::uint64_t>> counts{{0, 5}, {2, 7}};
  const std::string plain = mrkit::wordcount::encode_task(counts, nullptr);
  EXPECT_EQ(hex(plain),
            "0200000000000000"
            "0000000000000000"
            "0500000000000000"
            "0200000000000000"
            "0700000000000000");
  std::vector<std::uint64_t> words(3, 1);
  mrkit::wordcount::merge_task(plain, words, nullptr);
  EXPECT_EQ(words, (std::vector<std::uint64_t>{6, 1, 8}));

  mrkit::WordCounts table;
  table.add("ab", 5);
  const std::string tabled = mrkit::wordcount::encode_task(counts, &table);
  EXPECT_EQ(tabled, plain + table.encode());
  mrkit::WordCounts back;
  mrkit::wordcount::merge_task(tabled, words, &back);
  EXPECT_EQ(back.count("ab"), 5U);
  EXPECT_EQ(words, (std::vector<std::uint64_t>{11, 1, 15}));
}

TEST(WordCountRecord, TornOrCorruptRecordThrows) {
  mrkit::WordCounts table;
  table.add("ab", 5);
  const std::string record = mrkit::wordcount::encode_task({{0, 5}, {2, 7}}, &table);
  const std::size_t table_at = record.size() - table.encode().size();
  expect_every_prefix_throws(record, [table_at](std::string_view b) {
    if (b.size() == table_at) throw std::runtime_error("a record with an empty table");
    std::vector<std::uint64_t> words(3);
    mrkit::WordCounts t;
    mrkit::wordcount::merge_task(b, words, &t);
  });
  std::vector<std::uint64_t> two(2);  // file index 2 out of range
  EXPECT_THROW(mrkit::wordcount::merge_task(record, two, nullptr), std::runtime_error);
  std::string lying;  // claims more pairs than it holds
  ByteWriter(lying).u64(std::numeric_limits<std::uint64_t>::max());
  std::vector<std::uint64_t> words(3);
  EXPECT_THROW(mrkit::wordcount::merge_task(lying, words, nullptr), std::runtime_error);
}

TEST(EstimatorRecord, RoundTripsBitForBit) {
  using mrkit::detail::Tally;
  mrkit::detail::TaskOutcome hits;
  hits.successes = 7;
  const std::string counts = mrkit::detail::encode_outcome(Tally::counts, 10, hits);
  EXPECT_EQ(hex(counts),
            "0a00000000000000"
            "0700000000000000");
  EXPECT_EQ(mrkit::detail::decode_outcome(Tally::counts, 10, 0, counts).successes, 7U);

  mrkit::detail::TaskOutcome real;
  real.moments = mrkit::Moments::from(3, 0.1, 2.5);
  const std::string moments = mrkit::detail::encode_outcome(Tally::moments, 3, real);
  EXPECT_EQ(hex(moments),
            "0300000000000000"
            "9a9999999999b93f"
            "0000000000000440");
  const mrkit::Moments back = mrkit::detail::decode_outcome(Tally::moments, 3, 0, moments).moments;
  EXPECT_EQ(back.count(), 3U);
  EXPECT_EQ(back.mean(), 0.1);
  EXPECT_EQ(back.m2(), 2.5);
}

TEST(EstimatorRecord, TornOrCorruptRecordThrows) {
  using mrkit::detail::Tally;
  mrkit::detail::TaskOutcome hits;
  hits.successes = 7;
  expect_every_prefix_throws(
      mrkit::detail::encode_outcome(Tally::counts, 10, hits),
      [](std::string_view b) { (void)mrkit::detail::decode_outcome(Tally::counts, 10, 0, b); });
  mrkit::detail::TaskOutcome real;
  real.moments = mrkit::Moments::from(3, 0.1, 2.5);
  expect_every_prefix_throws(
      mrkit::detail::encode_outcome(Tally::moments, 3, real),
      [](std::string_view b) { (void)mrkit::detail::decode_outcome(Tally::moments, 3, 0, b); });
  const std::string counts = mrkit::detail::encode_outcome(Tally::counts, 10, hits);
  EXPECT_THROW((void)mrkit::detail::decode_outcome(Tally::counts, 9, 0, counts),
               std::runtime_error);  // another task size
  EXPECT_THROW((void)mrkit::detail::decode_outcome(Tally::counts, 10, 0, counts + "x"),
               std::runtime_error);
}

mrkit::detail::Walk sample_walk() {
  mrkit::detail::Walk walk;
  walk.files.push_back({"dir/a.txt", 5, -3, std::nullopt});
  walk.files.push_back({"/proc/x", 3, 1700000000000000000, std::string("abc")});
  walk.pending = {1, 0};
  walk.pseudo = {0, 1};
  walk.root = {0, 1};
  walk.directories = {0};
  return walk;
}

TEST(FileListingCodec, WalkRoundTrips) {
  const mrkit::detail::Walk walk = sample_walk();
  const std::string bytes = mrkit::detail::encode_walk(walk);
  // The head of the first file: size, mtime, path length, flags (pending), root.
  EXPECT_EQ(hex(bytes).substr(0, 2 * (8 + 8 + 8 + 8 + 1 + 4)),
            "0200000000000000"
            "0500000000000000"
            "fdffffffffffffff"
            "0900000000000000"
            "01"
            "00000000");
  const mrkit::detail::Walk back = mrkit::detail::decode_walk(bytes);
  ASSERT_EQ(back.files.size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.files[i].path, walk.files[i].path);
    EXPECT_EQ(back.files[i].size, walk.files[i].size);
    EXPECT_EQ(back.files[i].mtime_ns, walk.files[i].mtime_ns);
    EXPECT_EQ(back.files[i].content, walk.files[i].content);
  }
  EXPECT_EQ(back.pending, walk.pending);
  EXPECT_EQ(back.pseudo, walk.pseudo);
  EXPECT_EQ(back.root, walk.root);
  EXPECT_EQ(back.directories, walk.directories);
}

TEST(FileListingCodec, TornWalkThrows) {
  expect_every_prefix_throws(mrkit::detail::encode_walk(sample_walk()),
                             [](std::string_view b) { (void)mrkit::detail::decode_walk(b); });
  std::string lying;  // a path length past the end
  ByteWriter w(lying);
  w.u64(1);
  w.u64(0);
  w.i64(0);
  w.u64(std::numeric_limits<std::uint64_t>::max());
  w.u8(0);
  w.u32(0);
  EXPECT_THROW((void)mrkit::detail::decode_walk(lying), std::runtime_error);
}

TEST(FileListingCodec, AnswersRoundTripAndTornOnesThrow) {
  std::vector<mrkit::detail::PendingAnswer> answers(2);
  answers[0].stat = {7, -1, 0100644, 0, 0, 0};
  answers[1].stat = {3, 5, 0100444, 2, 27, 1};
  answers[1].content = "xyz";
  const std::string bytes = mrkit::detail::encode_answers(answers);
  EXPECT_EQ(bytes.size(), 32U + 32U + 3U);  // the FileStat layout, no padding
  EXPECT_EQ(hex(bytes).substr(0, 64),
            "0700000000000000"
            "ffffffffffffffff"
            "a4810000"
            "00000000"
            "00000000"
            "00000000");
  std::vector<mrkit::detail::PendingAnswer> back;
  mrkit::detail::decode_answers(bytes, back);
  ASSERT_EQ(back.size(), 2U);
  EXPECT_EQ(back[1].stat.size, 3U);
  EXPECT_EQ(back[1].stat.mtime_ns, 5);
  EXPECT_EQ(back[1].stat.mode, 0100444U);
  EXPECT_EQ(back[1].stat.error, 2);
  EXPECT_EQ(back[1].stat.read_error, 27);
  EXPECT_EQ(back[1].stat.held, 1U);
  EXPECT_EQ(back[1].content, "xyz");
  expect_every_prefix_throws(bytes, [](std::string_view b) {
    if (b.empty() || b.size() == 32) throw std::runtime_error("whole answers: valid");
    std::vector<mrkit::detail::PendingAnswer> into;
    mrkit::detail::decode_answers(b, into);
  });
}

}  // namespace
