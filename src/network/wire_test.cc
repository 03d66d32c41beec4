#include "network/wire.h"

#include <gtest/gtest.h>

namespace licet::network {
namespace {

using nlohmann::json;

json Hello() {
  HelloRequest h;
  h.version = 1;
  h.client_id = Bytes(kClientIdSize, 7);
  h.host = "ws1";
  h.machine = "m1";
  return EncodeHello(5, h);
}

TEST(WireTest, HelloRoundTrip) {
  auto r = ParseServerRequest(Hello());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, 5u);
  EXPECT_EQ(r->op, NetOp::kHello);
  EXPECT_EQ(r->hello.host, "ws1");
  EXPECT_EQ(r->hello.client_id, Bytes(kClientIdSize, 7));
}

TEST(WireTest, AccessRoundTrip) {
  AccessRequest a;
  a.firm_code = 6000010;
  a.product_code = 13;
  a.mode = model::AccessMode::kStationShare;
  a.user = "alice";
  a.reclaim = 99;
  auto r = ParseServerRequest(EncodeAccess(2, a));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access.product_code, 13u);
  EXPECT_EQ(r->access.mode, model::AccessMode::kStationShare);
  EXPECT_EQ(r->access.user, "alice");
  EXPECT_EQ(r->access.reclaim, 99u);
}

TEST(WireTest, RefusesBadRequests) {
  EXPECT_EQ(ParseServerRequest(json::array()).status().code(), ErrorCode::kProtocolError);
  EXPECT_EQ(ParseServerRequest(json{{"op", "hello"}}).status().code(), ErrorCode::kProtocolError);
  EXPECT_EQ(ParseServerRequest(json{{"id", -1}, {"op", "hello"}}).status().code(),
            ErrorCode::kProtocolError);
  EXPECT_EQ(ParseServerRequest(json{{"id", 1}, {"op", "grant_everything"}}).status().code(),
            ErrorCode::kProtocolError);
  json h = Hello();
  h["client_id"] = json::binary(Bytes(15, 1));
  EXPECT_EQ(ParseServerRequest(h).status().code(), ErrorCode::kInvalidArgument);
  h = Hello();
  h["host"] = std::string(300, 'a');
  EXPECT_EQ(ParseServerRequest(h).status().code(), ErrorCode::kInvalidArgument);
  h = Hello();
  h["host"] = "evil\nline";
  EXPECT_EQ(ParseServerRequest(h).status().code(), ErrorCode::kInvalidArgument);
  h = Hello();
  h["machine"] = "";
  EXPECT_EQ(ParseServerRequest(h).status().code(), ErrorCode::kInvalidArgument);
  json a{{"id", 1}, {"op", "access"}, {"firm_code", 1}, {"product_code", 2}, {"mode", 3}};
  EXPECT_EQ(ParseServerRequest(a).status().code(), ErrorCode::kInvalidArgument);
  a["mode"] = 1;
  a["firm_code"] = 0;
  EXPECT_EQ(ParseServerRequest(a).status().code(), ErrorCode::kInvalidArgument);
  a["firm_code"] = 1ull << 33;
  EXPECT_EQ(ParseServerRequest(a).status().code(), ErrorCode::kInvalidArgument);
  a["firm_code"] = "1";
  EXPECT_EQ(ParseServerRequest(a).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseServerRequest(json{{"id", 1}, {"op", "release"}}).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(WireTest, ParsesResponses) {
  json ok{{"id", 3u},
          {"code", 0u},
          {"lease", 77u},
          {"serial", "130-1"},
          {"license_quantity", 10u},
          {"lease_timeout", 120u}};
  auto r = ParseClientResponse(ok, NetOp::kAccess);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->grant.lease, 77u);
  EXPECT_EQ(r->grant.license_quantity, 10u);

  json denied{{"id", 4u}, {"code", 212u}, {"message", "all 10 seats are in use"}};
  r = ParseClientResponse(denied, NetOp::kAccess);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code(), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(r->status.message(), "all 10 seats are in use");

  EXPECT_FALSE(ParseClientResponse(json{{"id", 1u}}, NetOp::kAccess).ok());
  EXPECT_FALSE(ParseClientResponse(json{{"id", 1u}, {"code", 0u}}, NetOp::kAccess).ok());
  EXPECT_FALSE(ParseClientResponse(json{{"id", 1u}, {"code", 0u}, {"lease", 0u}, {"serial", "x"}},
                                   NetOp::kAccess)
                   .ok());
  EXPECT_FALSE(ParseClientResponse(json{{"id", 1u}, {"code", 5000u}}, NetOp::kAccess).ok());
  EXPECT_FALSE(
      ParseClientResponse(json{{"id", 1u}, {"code", 0u}, {"leases", 3}}, NetOp::kStatus).ok());
}

}  // namespace
}  // namespace licet::network

namespace licet::network {
namespace {

using nlohmann::json;

CryptRequest Decrypt() {
  CryptRequest c;
  c.op = NetCryptOp::kDecrypt;
  c.feature_code = 3;
  c.encryption_code = 77;
  c.iv = Bytes(12, 1);
  c.tag = Bytes(16, 2);
  c.data = Bytes(100, 3);
  return c;
}

TEST(WireItemOpsTest, CryptRoundTrip) {
  auto m = EncodeCrypt(9, 42, Decrypt());
  ASSERT_TRUE(m.ok());
  auto r = ParseServerRequest(*m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->op, NetOp::kCrypt);
  EXPECT_EQ(r->lease, 42u);
  EXPECT_EQ(r->crypt.op, NetCryptOp::kDecrypt);
  EXPECT_EQ(r->crypt.feature_code, 3u);
  EXPECT_EQ(r->crypt.encryption_code, 77u);
  EXPECT_EQ(r->crypt.tag, Bytes(16, 2));
  EXPECT_EQ(r->crypt.data, Bytes(100, 3));
  // The largest crypt still fits a network frame with room to spare.
  CryptRequest big = Decrypt();
  big.data = Bytes(kMaxNetworkCryptData, 0);
  auto frame = EncodeCrypt(UINT64_MAX, UINT64_MAX, big);
  ASSERT_TRUE(frame.ok());
  EXPECT_LT(json::to_cbor(*frame).size(), kMaxNetworkFrame);
}

TEST(WireItemOpsTest, CryptRejectsBadFields) {
  auto base = *EncodeCrypt(1, 42, Decrypt());
  auto bad = [&](const char* key, json value) {
    json m = base;
    if (value.is_null()) {
      m.erase(key);
    } else {
      m[key] = std::move(value);
    }
    return ParseServerRequest(m).status();
  };
  EXPECT_EQ(bad("crypt_op", 0).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("crypt_op", 4).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("iv", json::binary(Bytes(11, 0))).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("tag", nullptr).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("tag", "text").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("data", json::binary(Bytes(kMaxNetworkCryptData + 1, 0))).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("lease", -1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad("feature_code", uint64_t{1} << 32).code(), ErrorCode::kInvalidArgument);
  // A tag on an encryption is a client bug, not something to ignore.
  json enc = base;
  enc["crypt_op"] = 1;
  EXPECT_EQ(ParseServerRequest(enc).status().code(), ErrorCode::kInvalidArgument);
  // The client refuses to build an oversized request at all.
  CryptRequest big = Decrypt();
  big.data = Bytes(kMaxNetworkCryptData + 1, 0);
  EXPECT_EQ(EncodeCrypt(1, 1, big).status().code(), ErrorCode::kInvalidArgument);
}

TEST(WireItemOpsTest, UnitRequestAndResponses) {
  auto r = ParseServerRequest(EncodeUnit(3, 42, 5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decrement, 5u);
  EXPECT_EQ(ParseServerRequest(EncodeUnit(3, 42, 0)).status().code(), ErrorCode::kInvalidArgument);
  auto ok = ParseClientResponse(json{{"id", 3}, {"code", 0}, {"remaining", 7}}, NetOp::kUnit);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->remaining, 7u);
  EXPECT_FALSE(ParseClientResponse(json{{"id", 3}, {"code", 0}}, NetOp::kUnit).ok());
  auto refused =
      ParseClientResponse(json{{"id", 3}, {"code", 32}, {"message", "none"}}, NetOp::kUnit);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status.code(), ErrorCode::kUnitCounterZero);
  auto crypt = ParseClientResponse(json{{"id", 3},
                                        {"code", 0},
                                        {"data", json::binary(Bytes{1})},
                                        {"tag", json::binary(Bytes(15, 0))}},
                                   NetOp::kCrypt);
  EXPECT_FALSE(crypt.ok());
}

}  // namespace
}  // namespace licet::network
