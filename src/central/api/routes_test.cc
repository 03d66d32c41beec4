#include "central/api/routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace licet::central::api {
namespace {

TEST(RoutesTest, MatchesWithParamsAndMasksTickets) {
  auto m = MatchRoute("GET", "/api/v1/firms/6000010/products/201010");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->id, RouteId::kGetProduct);
  EXPECT_EQ(m.params.at("firm"), "6000010");
  EXPECT_EQ(m.params.at("product"), "201010");
  m = MatchRoute("GET", "/api/v1/tickets/ABCDE-FGHJK-MNPQR-STVWX-YZ012/status");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.log_path.find("FGHJK"), std::string::npos);
}

TEST(RoutesTest, WrongMethodAndUnknownPaths) {
  auto m = MatchRoute("DELETE", "/api/v1/firms");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "GET, POST");
  m = MatchRoute("GET", "/api/v1/nope");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "");
  EXPECT_EQ(MatchRoute("GET", "/api/v1/firms/").route, nullptr);
  EXPECT_EQ(MatchRoute("GET", "/api/v1/firms/%41").route, nullptr);
  EXPECT_EQ(MatchRoute("GET", "/api/v1/firms/a/../b").route, nullptr);
  EXPECT_EQ(MatchRoute("GET", "").route, nullptr);
  EXPECT_EQ(MatchRoute("GET", "api/v1/firms").route, nullptr);
}

TEST(RoutesTest, OpenApiLineParser) {
  std::string yaml =
      "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      x: 1\n    post:\n  /b/{c}:\n"
      "    parameters: []\n    delete:\ncomponents:\n  /notapath:\n    get:\n";
  auto ops = ParseOpenApiOperations(yaml);
  std::vector<std::pair<std::string, std::string>> want{
      {"GET", "/a"}, {"POST", "/a"}, {"DELETE", "/b/{c}"}};
  EXPECT_EQ(ops, want);
}

// The contract of requirement 5: the server's route table and docs/openapi.yaml list exactly
// the same method + path pairs.
TEST(RoutesTest, OpenApiSpecListsExactlyTheServedRoutes) {
  const char* src = std::getenv("LICET_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "run through ctest (LICET_SOURCE_DIR)";
  std::ifstream in(std::string(src) + "/docs/openapi.yaml");
  ASSERT_TRUE(in) << "docs/openapi.yaml is missing";
  std::stringstream text;
  text << in.rdbuf();
  auto ops = ParseOpenApiOperations(text.str());
  std::set<std::pair<std::string, std::string>> spec(ops.begin(), ops.end());
  EXPECT_EQ(spec.size(), ops.size()) << "an operation is listed twice";
  std::set<std::pair<std::string, std::string>> served;
  for (const Route& r : Routes()) served.emplace(r.method, r.pattern);
  for (const auto& op : served) {
    EXPECT_TRUE(spec.count(op)) << "served but not in the spec: " << op.first << " " << op.second;
  }
  for (const auto& op : spec) {
    EXPECT_TRUE(served.count(op)) << "in the spec but not served: " << op.first << " " << op.second;
  }
  // Every operation documents a problem response and an operationId.
  EXPECT_NE(text.str().find("application/problem+json"), std::string::npos);
}

}  // namespace
}  // namespace licet::central::api
