#include "central/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "central/tests/test_support.h"
#include "common/env.h"

namespace licet::central {
namespace {

EnvLookup MapEnv(std::map<std::string, std::string> m) {
  return [m](const std::string& name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, DefaultsFileEnvFlagsInOrder) {
  testing::TempDir dir;
  std::string file = dir.path() + "/central.toml";
  ASSERT_TRUE(Env::Default()
                  .WriteFileAtomic(file, AsBytes("listen = \"127.0.0.1:1\"\nworkers = 3\n"
                                                 "threads = 5\nlog_format = \"json\"\n"))
                  .ok());
  ConfigFlags flags;
  flags.config = file;
  flags.values["threads"] = "7";
  auto c = LoadConfig(flags, MapEnv({{"LICET_CENTRAL_WORKERS", "9"},
                                     {"LICET_CENTRAL_THREADS", "6"},
                                     {"HOME", "/home/x"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "127.0.0.1:1");  // file
  EXPECT_EQ(c->workers, 9);             // env over file
  EXPECT_EQ(c->threads, 7);             // flag over env
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->gateway_rate, 60);  // default
  EXPECT_EQ(c->config_file, file);
  if (::geteuid() != 0) {
    EXPECT_EQ(c->data_dir, "/home/x/.local/share/licet-central");
    EXPECT_EQ(c->database, "sqlite:///home/x/.local/share/licet-central/central.db");
  }
}

TEST(ConfigTest, WorkersDefaultByDatabaseUnlessGiven) {
  testing::TempDir dir;
  auto load = [&](std::map<std::string, std::string> env) {
    env["HOME"] = dir.path();
    env["XDG_CONFIG_HOME"] = dir.path();
    auto c = LoadConfig(ConfigFlags{}, MapEnv(env));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->workers : -1;
  };
  EXPECT_EQ(load({}), kDefaultSqliteWorkers);
  EXPECT_EQ(load({{"LICET_CENTRAL_DATABASE", "sqlite:///tmp/x.db"}}), 4);
  EXPECT_EQ(load({{"LICET_CENTRAL_DATABASE", "postgresql://u@h/db"}}), 16);
  EXPECT_EQ(load({{"LICET_CENTRAL_DATABASE", "postgres://u@h/db"}}), kDefaultPostgresWorkers);
  EXPECT_EQ(load({{"LICET_CENTRAL_DATABASE", "postgresql://u@h/db"},
                  {"LICET_CENTRAL_WORKERS", "4"}}),
            4)
      << "a given value wins";
  EXPECT_EQ(DefaultWorkers("/abs/postgresql://x"), kDefaultSqliteWorkers);
  EXPECT_EQ(CentralConfig{}.workers, 4) << "a config made in code keeps a usable value";
}

TEST(ConfigTest, RefusesBadValuesWithTheirOrigin) {
  testing::TempDir dir;
  std::string file = dir.path() + "/bad.toml";
  ASSERT_TRUE(Env::Default().WriteFileAtomic(file, AsBytes("nope = 1\n")).ok());
  ConfigFlags flags;
  flags.config = file;
  auto c = LoadConfig(flags, MapEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown key 'nope'"), std::string::npos);
  ASSERT_TRUE(Env::Default().WriteFileAtomic(file, AsBytes("workers = [1]\n")).ok());
  EXPECT_FALSE(LoadConfig(flags, MapEnv({})).ok());
  ASSERT_TRUE(Env::Default().WriteFileAtomic(file, AsBytes("workers = \n")).ok());
  EXPECT_FALSE(LoadConfig(flags, MapEnv({})).ok());
  auto env = LoadConfig({}, MapEnv({{"LICET_CENTRAL_THREADS", "0"}}));
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("LICET_CENTRAL_THREADS"), std::string::npos);
  ConfigFlags f2;
  f2.values["log_level"] = "loud";
  auto flag = LoadConfig(f2, MapEnv({}));
  ASSERT_FALSE(flag.ok());
  EXPECT_NE(flag.status().message().find("--log-level"), std::string::npos);
  ConfigFlags missing;
  missing.config = dir.path() + "/absent.toml";
  EXPECT_FALSE(LoadConfig(missing, MapEnv({})).ok());
}

TEST(ConfigTest, TrustedProxiesFromFileEnvAndFlag) {
  testing::TempDir dir;
  std::string file = dir.path() + "/central.toml";
  ConfigFlags flags;
  flags.config = file;
  auto write = [&](const std::string& text) {
    ASSERT_TRUE(Env::Default().WriteFileAtomic(file, AsBytes(text)).ok());
  };
  write("workers = 2\n");
  auto c = LoadConfig(flags, MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->trusted_proxies, "") << "none trusted by default";
  write("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n");
  c = LoadConfig(flags, MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->trusted_proxies, "10.0.0.0/8, ::1");
  EXPECT_NE(ConfigToToml(*c).find("trusted_proxies = \"10.0.0.0/8, ::1\""), std::string::npos);
  write("trusted_proxies = \"192.0.2.7\"\n");
  c = LoadConfig(flags, MapEnv({{"LICET_CENTRAL_TRUSTED_PROXIES", "198.51.100.0/24"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->trusted_proxies, "198.51.100.0/24") << "env over file";
  flags.values["trusted_proxies"] = "127.0.0.1";
  c = LoadConfig(flags, MapEnv({{"LICET_CENTRAL_TRUSTED_PROXIES", "198.51.100.0/24"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->trusted_proxies, "127.0.0.1") << "flag over env";

  flags.values.clear();
  write("trusted_proxies = [\"10.0.0.0/8\", 7]\n");
  EXPECT_FALSE(LoadConfig(flags, MapEnv({})).ok());
  write("trusted_proxies = \"proxy.example.com\"\n");
  auto bad = LoadConfig(flags, MapEnv({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("trusted_proxies"), std::string::npos);
  write("listen = [\"127.0.0.1:1\"]\n");
  EXPECT_FALSE(LoadConfig(flags, MapEnv({})).ok()) << "arrays only for trusted_proxies";
  write("workers = 2\n");
  ConfigFlags f2 = flags;
  f2.values["trusted_proxies"] = "10.0.0.0/40";
  auto flag = LoadConfig(f2, MapEnv({}));
  ASSERT_FALSE(flag.ok());
  EXPECT_NE(flag.status().message().find("--trusted-proxies"), std::string::npos);
}

TEST(ConfigTest, KekFromFileOrValue) {
  testing::TempDir dir;
  CentralConfig c;
  EXPECT_FALSE(LoadKek(c).ok()) << "no KEK at all";
  c.kek = std::string(64, 'a');
  EXPECT_TRUE(LoadKek(c).ok());
  c.kek_file = dir.path() + "/kek";
  EXPECT_FALSE(LoadKek(c).ok()) << "both";
  c.kek.clear();
  ASSERT_TRUE(
      Env::Default().WriteFileAtomic(c.kek_file, AsBytes(std::string(64, 'b') + "\n"), 0600).ok());
  auto k = LoadKek(c);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->size(), 32u);
  ASSERT_EQ(::chmod(c.kek_file.c_str(), 0644), 0);
  EXPECT_EQ(LoadKek(c).status().code(), ErrorCode::kPermissionDenied);
  ASSERT_TRUE(Env::Default().WriteFileAtomic(c.kek_file, AsBytes("short"), 0600).ok());
  EXPECT_FALSE(LoadKek(c).ok());
  EXPECT_EQ(ConfigToToml(c).find(std::string(64, 'b')), std::string::npos);
}

}  // namespace
}  // namespace licet::central
