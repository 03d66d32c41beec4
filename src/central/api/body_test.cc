#include "central/api/body.h"

#include <gtest/gtest.h>

#include "central/api/template_json.h"

namespace licet::central::api {
namespace {

TEST(JsonBodyTest, ObjectsOnlyAndBoundedDepth) {
  EXPECT_TRUE(ParseJsonObject(R"({"a": [1, {"b": "x"}]})").ok());
  EXPECT_FALSE(ParseJsonObject("[1]").ok());
  EXPECT_FALSE(ParseJsonObject("{").ok());
  EXPECT_FALSE(ParseJsonObject("").ok());
  EXPECT_FALSE(ParseJsonObject(std::string(100000, '[')).ok());
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseJsonObject(R"({"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"["})").ok());
  std::string deep = "{\"a\":" + std::string(16, '[') + std::string(16, ']') + "}";
  EXPECT_FALSE(ParseJsonObject(deep).ok());
}

TEST(JsonBodyTest, FieldsAndUnknownKeys) {
  auto j = *ParseJsonObject(R"({"n": 5, "s": "abc", "neg": -1, "b": true})");
  EXPECT_EQ(*FieldUint32(j, "n"), 5u);
  EXPECT_EQ(FieldUint32(j, "neg").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(FieldUint32(j, "missing").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(FieldString(j, "s", 2).ok());
  EXPECT_EQ(*FieldString(j, "s", 3), "abc");
  EXPECT_EQ(**OptionalFieldBool(j, "b"), true);
  EXPECT_FALSE(OptionalFieldString(j, "missing", 3)->has_value());
  EXPECT_TRUE(CheckKeys(j, {"n", "s", "neg", "b"}, "x").ok());
  EXPECT_FALSE(CheckKeys(j, {"n", "s"}, "x").ok());
}

TEST(MultipartTest, ParsesAForm) {
  std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"ticket\"\r\n\r\n"
      "ABCDE-FGHJK\r\n--XyZ\r\nContent-Disposition: form-data; name=\"context\"; "
      "filename=\"a;b.context\"\r\nContent-Type: application/cbor\r\n\r\n\x01\x02\r\n\x03"
      "\r\n--XyZ--\r\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "ticket");
  EXPECT_EQ((*parts)[0].data, "ABCDE-FGHJK");
  EXPECT_EQ((*parts)[1].filename, "a;b.context");
  EXPECT_EQ((*parts)[1].data, std::string("\x01\x02\r\n\x03"));
  EXPECT_EQ((*parts)[1].content_type, "application/cbor");
}

TEST(MultipartTest, RefusesMalformedForms) {
  const std::string ct = "multipart/form-data; boundary=B";
  EXPECT_FALSE(ParseMultipart("text/plain", "x").ok());
  EXPECT_FALSE(ParseMultipart("multipart/form-data", "--B--").ok());
  EXPECT_FALSE(ParseMultipart(ct, "no delimiter").ok());
  EXPECT_FALSE(
      ParseMultipart(ct, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx").ok());
  EXPECT_FALSE(ParseMultipart(ct, "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--").ok());
  EXPECT_FALSE(ParseMultipart(ct, "--B\r\nbroken header\r\n\r\nx\r\n--B--").ok());
  std::string many = "";
  for (int i = 0; i < 9; ++i)
    many += "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
  EXPECT_FALSE(ParseMultipart(ct, many + "--B--").ok());
  EXPECT_TRUE(ParseMultipart(ct, "--B--").ok());
}

TEST(TemplateJsonTest, ConvenientFormsAndRefusals) {
  auto j = nlohmann::json::parse(R"({
    "features": 3, "units": 100, "expires_after": "365d", "quantity": 5,
    "modes": "user-limit,station-share", "linger": "5m", "usage_period": "30d",
    "text": "Sample App", "protected": "00ff", "hidden": "0102", "hidden_access_code": "s3cret",
    "secret": "0000000000000000000000000000000000000000000000000000000000000001",
    "maintenance_until": "2030-01-01T00:00:00Z", "checkpoint_days": 30,
    "borrow": {"days": 7, "seats": 2},
    "modules": [{"code": 201011, "features": 1, "units": 10, "text": "Extras"}]})");
  auto t = TemplateFromApiJson(j, 201010);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->item.product_code, 201010u);
  EXPECT_EQ(t->expires_after, 365 * 86400);
  EXPECT_EQ(t->item.license_quantity, 5u);
  EXPECT_EQ(t->item.linger_time, 300);
  EXPECT_EQ(t->item.protected_data, (Bytes{0, 0xff}));
  EXPECT_EQ(t->item.secret_data.size(), 32u);
  auto view = TemplateToApiJson(*t);
  EXPECT_EQ(view.dump().find("0000000000000000000000000000000000000000000000000000000000000001"),
            std::string::npos)
      << "the secret never shows";
  EXPECT_EQ(view["secret_data"], "set");
  EXPECT_EQ(view["expires_after"], "365d");

  for (const char* bad : {R"({"code": 5})", R"({"unknown": 1})", R"({"protected": "zz"})",
                          R"({"expires": "yesterday"})", R"({"expires_after": 0})",
                          R"({"modes": "fly"})", R"({"usage_started": 1})",
                          R"({"expires": 100, "expires_after": 5})", R"({"features": -1})"}) {
    EXPECT_EQ(TemplateFromApiJson(nlohmann::json::parse(bad), 201010).status().code(),
              ErrorCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(TemplateFromApiJson(nlohmann::json::array(), 1).ok());
}

}  // namespace
}  // namespace licet::central::api
