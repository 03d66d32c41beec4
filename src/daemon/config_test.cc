#include "daemon/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace licet::daemon {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licetd-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Write(const std::string& text) {
    std::string path = dir_ + "/licetd.toml";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  ConfigFlags flags;
  flags.config = Write(
      "home = \"/file/home\"\nsocket = \"/file/sock\"\nlog_level = \"warn\"\nthreads = 2\n"
      "admin_allowed_origins = [\"http://localhost:3000\"]\n");
  flags.values["socket"] = "/flag/sock";
  auto env = FakeEnv(
      {{"LICET_SOCKET", "/env/sock"}, {"LICETD_LOG_LEVEL", "debug"}, {"LICET_HOME", "/env/home"}});
  auto c = LoadConfig(flags, env);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->socket, "/flag/sock");
  EXPECT_EQ(c->home, "/env/home");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->threads, 2);
  EXPECT_EQ(c->workers, 2);  // default
  EXPECT_EQ(c->admin_listen, "127.0.0.1:22452");
  ASSERT_EQ(c->admin_allowed_origins.size(), 1u);
  EXPECT_EQ(c->config_file, *flags.config);
}

TEST_F(ConfigTest, ExplicitFileMustExistAndBeValid) {
  ConfigFlags flags;
  flags.config = dir_ + "/missing.toml";
  EXPECT_FALSE(LoadConfig(flags, FakeEnv({})).ok());
  flags.config = Write("home = \"/x\"\nbogus = 1\n");
  auto c = LoadConfig(flags, FakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bogus"), std::string::npos);
  flags.config = Write("home = [\n");
  c = LoadConfig(flags, FakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(":"), std::string::npos);
  flags.config = Write("threads = \"many\"\n");
  EXPECT_FALSE(LoadConfig(flags, FakeEnv({})).ok());
  flags.config = Write("threads = 1.5\n");
  EXPECT_FALSE(LoadConfig(flags, FakeEnv({})).ok());
}

TEST_F(ConfigTest, ValuesAreChecked) {
  DaemonConfig c;
  EXPECT_FALSE(SetConfigKey(c, "home", "relative/dir", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "socket", "/" + std::string(200, 'a'), "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "admin_listen", "example.com:80", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "admin_listen", "127.0.0.1:70000", "t").ok());
  EXPECT_TRUE(SetConfigKey(c, "admin_listen", "off", "t").ok());
  EXPECT_TRUE(SetConfigKey(c, "admin_listen", "[::1]:0", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "log_level", "loud", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "log_format", "xml", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "threads", "0", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "threads", "2x", "t").ok());
  EXPECT_FALSE(SetConfigKey(c, "admin_allowed_origins", "http://a/path", "t").ok());
  EXPECT_TRUE(SetConfigKey(c, "admin_allowed_origins", "http://a:1, https://b", "t").ok());
  EXPECT_EQ(c.admin_allowed_origins.size(), 2u);
  Status st = SetConfigKey(c, "nope", "1", "$LICETD_NOPE");
  EXPECT_NE(st.message().find("$LICETD_NOPE"), std::string::npos);
}

TEST_F(ConfigTest, EveryKeyHasEnvAndFlagAndPrintsAsToml) {
  for (const ConfigKey& k : ConfigKeys()) {
    EXPECT_EQ(std::string(k.flag).substr(0, 2), "--");
    EXPECT_NE(std::string(k.env).find("LICET"), std::string::npos);
  }
  DaemonConfig c;
  c.home = "/h";
  c.socket = "/s";
  c.admin_allowed_origins = {"http://localhost:3000"};
  std::string text = ConfigToToml(c);
  DaemonConfig back;
  // The printed form is a valid config file that gives the same values.
  std::string body = text.substr(text.find('\n') + 1);
  ASSERT_TRUE(ApplyConfigToml(back, body, "printed").ok()) << text;
  EXPECT_EQ(back.home, "/h");
  EXPECT_EQ(back.admin_allowed_origins, c.admin_allowed_origins);
  EXPECT_EQ(back.rescan_interval, c.rescan_interval);
}

}  // namespace
}  // namespace licet::daemon
