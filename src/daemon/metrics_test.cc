#include "daemon/metrics.h"

#include <gtest/gtest.h>

namespace licet::daemon {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistograms) {
  Metrics m;
  m.ConnectionOpened();
  m.ConnectionOpened();
  m.ConnectionClosed();
  m.Access(ErrorCode::kOk);
  m.Access(ErrorCode::kOk);
  m.Access(ErrorCode::kNoMoreLicenses);
  m.UnitsDecremented(5);
  m.CryptBytes(1024);
  m.Request(Op::kAccess, 0.00002);
  m.Request(Op::kAccess, 2.0);
  std::map<ItemKey, uint32_t> leases = {{ItemKey{"130-1", 10, 20}, 2},
                                        {ItemKey{"130-2", 10, 20}, 1}};
  std::string text = m.RenderPrometheus(leases, 12.5);
  for (const char* line :
       {"licetd_up 1\n", "licetd_connections 1\n", "licetd_connections_total 2\n",
        "licetd_leases{firm=\"10\",product=\"20\"} 3\n", "licetd_access_total{result=\"ok\"} 2\n",
        "licetd_access_total{result=\"no_more_licenses\"} 1\n", "licetd_unit_decrements_total 1\n",
        "licetd_units_decremented_total 5\n", "licetd_crypt_bytes_total 1024\n",
        "licetd_request_duration_seconds_bucket{op=\"access\",le=\"1e-05\"} 0\n",
        "licetd_request_duration_seconds_bucket{op=\"access\",le=\"2.5e-05\"} 1\n",
        "licetd_request_duration_seconds_bucket{op=\"access\",le=\"1\"} 1\n",
        "licetd_request_duration_seconds_bucket{op=\"access\",le=\"+Inf\"} 2\n",
        "licetd_request_duration_seconds_count{op=\"access\"} 2\n",
        "# TYPE licetd_request_duration_seconds histogram\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("op=\"units\""), std::string::npos);  // no samples, no series
  EXPECT_EQ(m.access_count(ErrorCode::kOk), 2u);
}

TEST(MetricsTest, OpNamesRoundTrip) {
  for (size_t i = 0; i + 1 < kOpCount; ++i) {
    Op op = static_cast<Op>(i);
    EXPECT_EQ(ParseOp(OpName(op)), op);
  }
  EXPECT_EQ(ParseOp("drop_tables"), Op::kInvalid);
}

}  // namespace
}  // namespace licet::daemon
