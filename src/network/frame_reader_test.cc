#include "network/frame_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "protocol/protocol.h"

namespace licet::network {
namespace {

// Feeds `bytes` into the reader `chunk` bytes per read and collects the frame bodies.
Result<std::vector<Bytes>> Feed(FrameReader& reader, const Bytes& bytes, size_t chunk) {
  std::vector<Bytes> bodies;
  size_t at = 0;
  while (at < bytes.size()) {
    std::span<uint8_t> room = reader.Room();
    if (room.empty()) return Error(ErrorCode::kInternal, "no room");
    const size_t n = std::min({chunk, room.size(), bytes.size() - at});
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), n, room.begin());
    reader.Commit(n);
    at += n;
    for (;;) {
      LICET_ASSIGN_OR_RETURN(std::optional<ByteSpan> body, reader.Next());
      if (!body) break;
      bodies.emplace_back(body->begin(), body->end());
    }
  }
  return bodies;
}

Bytes Frame(size_t body_size, uint8_t fill) {
  Bytes frame = {static_cast<uint8_t>(body_size >> 24), static_cast<uint8_t>(body_size >> 16),
                 static_cast<uint8_t>(body_size >> 8), static_cast<uint8_t>(body_size)};
  frame.insert(frame.end(), body_size, fill);
  return frame;
}

TEST(FrameReaderTest, SplitsFramesWhateverTheReadSizes) {
  Bytes stream;
  const std::vector<size_t> sizes = {1, 300, 40000, 7, 65536, 2};
  for (size_t i = 0; i < sizes.size(); ++i) {
    Bytes f = Frame(sizes[i], static_cast<uint8_t>(i + 1));
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (size_t chunk : {1u, 3u, 4096u, 70000u}) {
    FrameReader reader(64 * 1024);
    auto bodies = Feed(reader, stream, chunk);
    ASSERT_TRUE(bodies.ok()) << bodies.status().ToString();
    ASSERT_EQ(bodies->size(), sizes.size()) << "chunk " << chunk;
    for (size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_EQ((*bodies)[i], Bytes(sizes[i], static_cast<uint8_t>(i + 1))) << i;
    }
  }
}

TEST(FrameReaderTest, MatchesTheProtocolEncoder) {
  Bytes frame = protocol::EncodeFrame(nlohmann::json{{"op", "hello"}, {"id", 7}});
  FrameReader reader(1024);
  auto bodies = Feed(reader, frame, 2);
  ASSERT_TRUE(bodies.ok());
  ASSERT_EQ(bodies->size(), 1u);
  auto message = protocol::DecodeMessage((*bodies)[0]);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ((*message)["id"], 7);
}

TEST(FrameReaderTest, RefusesAFrameOverTheLimitFromItsHeader) {
  FrameReader reader(1000);
  Bytes header = Frame(1001, 0);
  header.resize(4);  // the body never needs to arrive: the header alone is refused
  auto bodies = Feed(reader, header, 4);
  ASSERT_FALSE(bodies.ok());
  EXPECT_EQ(bodies.status().code(), ErrorCode::kProtocolError);
}

TEST(FrameReaderTest, RefusesAnEmptyFrame) {
  FrameReader reader(1000);
  auto bodies = Feed(reader, Frame(0, 0), 4);
  ASSERT_FALSE(bodies.ok());
  EXPECT_EQ(bodies.status().code(), ErrorCode::kProtocolError);
}

TEST(FrameReaderTest, GrowsNoFurtherThanOneWholeFrame) {
  FrameReader reader(100 * 1024);
  Bytes frame = Frame(100 * 1024, 9);
  frame.resize(frame.size() - 1);  // one byte short: still waiting
  auto bodies = Feed(reader, frame, 8192);
  ASSERT_TRUE(bodies.ok());
  EXPECT_TRUE(bodies->empty());
  std::span<uint8_t> room = reader.Room();
  EXPECT_EQ(room.size(), 1u);  // exactly the missing byte fits
}

}  // namespace
}  // namespace licet::network
