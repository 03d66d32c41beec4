// The real device property readers on a faked device: tests/support/with-fake-device.sh
// bind-mounts fake /etc/machine-id, /proc/cpuinfo and /sys files in a private mount
// namespace and runs device_probe there. Needs root and unshare(1); skipped otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "container/fingerprint.h"

namespace licet::container {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs argv (no shell) and collects its output.
RunResult RunCommand(const std::vector<std::string>& argv) {
  RunResult result;
  int fds[2];
  if (::pipe(fds) != 0) return result;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot execute %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    result.output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

std::string ScriptPath() {
  const char* source_dir = std::getenv("LICET_SOURCE_DIR");
  return std::string(source_dir != nullptr ? source_dir : LICET_DEFAULT_SOURCE_DIR) +
         "/tests/support/with-fake-device.sh";
}

struct FakeDevice {
  std::string machine_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  std::string dmi_uuid = "4C4C4544-0034-3510-8052-B4C04F4E3232";
  std::vector<std::string> macs = {"52:54:00:AB:CD:01", "02:fc:00:00:00:07"};
  std::vector<std::string> virtual_macs = {"02:42:ac:11:00:02"};
  std::vector<std::string> random_macs = {"3a:1b:2c:3d:4e:5f"};
  std::string disk_serial = "  WD-WX11  A2B3 ";
  std::string cpu = "Licet Test CPU @ 3.00GHz";
};

// Runs `device_probe probe_args...` on `fake`.
RunResult Probe(const FakeDevice& fake, const std::vector<std::string>& probe_args) {
  std::vector<std::string> argv = {"/bin/bash", ScriptPath()};
  auto add = [&argv](const char* flag, const std::string& value) {
    if (value.empty()) return;
    argv.push_back(flag);
    argv.push_back(value);
  };
  add("--machine-id", fake.machine_id);
  add("--dmi-uuid", fake.dmi_uuid);
  for (const std::string& mac : fake.macs) add("--mac", mac);
  for (const std::string& mac : fake.virtual_macs) add("--virtual-mac", mac);
  for (const std::string& mac : fake.random_macs) add("--random-mac", mac);
  add("--disk-serial", fake.disk_serial);
  add("--cpu", fake.cpu);
  argv.push_back("--");
  argv.push_back(LICET_DEVICE_PROBE_PATH);
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  return RunCommand(argv);
}

// "kind digest values=n" lines of `device_probe props` as kind -> digest.
std::map<std::string, std::string> ParseProps(const std::string& output) {
  std::map<std::string, std::string> digests;
  std::istringstream lines(output);
  std::string kind, digest, count;
  while (lines >> kind >> digest >> count) digests[kind] = digest;
  return digests;
}

// The root-disk value without a disk serial; empty when the file system has no id (then the
// property is absent).
std::string FsidOfRoot() {
  struct statfs fs;
  if (::statfs("/", &fs) != 0) return "";
  unsigned int words[2];
  std::memcpy(words, &fs.f_fsid, sizeof words);
  if (words[0] == 0 && words[1] == 0) return "";
  char text[32];
  std::snprintf(text, sizeof text, "fsid:%08x%08x", words[0], words[1]);
  return text;
}

constexpr const char* kTestSecretHex =
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

class DeviceBindingNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare -m and mount";
    RunResult unshare = RunCommand({"unshare", "--mount", "--propagation", "private", "true"});
    if (unshare.exit_code != 0) {
      GTEST_SKIP() << "unshare -m is unavailable here: " << unshare.output;
    }
    dir_ = std::filesystem::temp_directory_path() / ("licet-ns-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    binding_ = (dir_ / "binding.cbor").string();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Bind(const FakeDevice& fake) {
    RunResult bind = Probe(fake, {"bind", binding_});
    ASSERT_EQ(bind.exit_code, 0) << bind.output;
    ASSERT_THAT(bind.output, HasSubstr("bound to 5 properties, 4 needed"));
  }

  void ExpectUnbinds(const FakeDevice& fake) {
    RunResult unbind = Probe(fake, {"unbind", binding_});
    EXPECT_EQ(unbind.exit_code, 0) << unbind.output;
    EXPECT_EQ(unbind.output, std::string("ok ") + kTestSecretHex + "\n");
  }

  std::filesystem::path dir_;
  std::string binding_;
};

TEST_F(DeviceBindingNamespaceTest, ReadersSeeTheFakedFiles) {
  const FakeDevice fake;
  RunResult props = Probe(fake, {"props"});
  ASSERT_EQ(props.exit_code, 0) << props.output;
  // The values never appear in the output, only digests.
  EXPECT_THAT(props.output, ::testing::Not(HasSubstr("52:54")));
  const auto digests = ParseProps(props.output);
  const std::map<std::string, std::string> expected = {
      {"machine-id",
       PropertyDigest({PropertyKind::kMachineId, {"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}})},
      {"dmi-uuid",
       PropertyDigest({PropertyKind::kDmiProductUuid, {"4c4c4544-0034-3510-8052-b4c04f4e3232"}})},
      // Lower-cased, sorted, without the virtual NIC and the randomised MAC.
      {"mac",
       PropertyDigest({PropertyKind::kMacAddress, {"02:fc:00:00:00:07", "52:54:00:ab:cd:01"}})},
      {"root-disk", PropertyDigest({PropertyKind::kRootDisk, {"WD-WX11 A2B3"}})},
      {"cpu", PropertyDigest({PropertyKind::kCpuSignature,
                              {"x86;vendor_id=LicetFakeCPU;cpu family=6;model=85;stepping=7;"
                               "model name=Licet Test CPU @ 3.00GHz"}})},
  };
  EXPECT_EQ(digests, expected) << props.output;
}

TEST_F(DeviceBindingNamespaceTest, AbsentPropertiesAreLeftOut) {
  FakeDevice fake;
  fake.dmi_uuid.clear();
  fake.cpu.clear();
  fake.disk_serial.clear();
  fake.macs = {"00:00:00:00:00:00"};  // an all-zero MAC does not count
  RunResult props = Probe(fake, {"props"});
  ASSERT_EQ(props.exit_code, 0) << props.output;
  const auto digests = ParseProps(props.output);
  // Without a disk serial the root disk is the file system id of "/".
  std::map<std::string, std::string> expected = {
      {"machine-id", PropertyDigest({PropertyKind::kMachineId, {fake.machine_id}})},
  };
  if (const std::string fsid = FsidOfRoot(); !fsid.empty()) {
    expected["root-disk"] = PropertyDigest({PropertyKind::kRootDisk, {fsid}});
  }
  EXPECT_EQ(digests, expected) << props.output;
}

TEST_F(DeviceBindingNamespaceTest, BindThenUnbindOnSameAndChangedDevices) {
  const FakeDevice original;
  Bind(original);
  ExpectUnbinds(original);

  // One property changed: still opens.
  FakeDevice new_disk = original;
  new_disk.disk_serial = "S4EVNX0R999999";
  ExpectUnbinds(new_disk);
  FakeDevice no_dmi = original;
  no_dmi.dmi_uuid.clear();
  ExpectUnbinds(no_dmi);

  // One of two NICs replaced (and a USB NIC added) counts as a MAC match, even with another
  // property changed.
  FakeDevice nic_swap = original;
  nic_swap.macs = {"52:54:00:ab:cd:01", "00:e0:4c:68:00:01", "00:e0:4c:68:00:02"};
  nic_swap.cpu = "Another CPU";
  ExpectUnbinds(nic_swap);

  // Two properties changed: refused.
  FakeDevice two_changed = original;
  two_changed.machine_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  two_changed.macs = {"52:54:00:00:00:99"};
  RunResult unbind = Probe(two_changed, {"unbind", binding_});
  EXPECT_EQ(unbind.exit_code, 1) << unbind.output;
  EXPECT_THAT(unbind.output, HasSubstr("container is bound to another device"));
  EXPECT_THAT(unbind.output, HasSubstr("(3 of 5 device properties match, 4 needed)"));
  EXPECT_THAT(unbind.output, ::testing::Not(HasSubstr(kTestSecretHex)));

  RunResult match = Probe(two_changed, {"match", binding_});
  EXPECT_EQ(match.exit_code, 0) << match.output;
  EXPECT_EQ(match.output,
            "machine-id: changed\ndmi-uuid: matches\nmac: changed\nroot-disk: matches\n"
            "cpu: matches\n3 of 5 match, 4 needed\n");

  // The real machine (outside the namespace) is another device, whatever its properties.
  RunResult real = RunCommand({LICET_DEVICE_PROBE_PATH, "unbind", binding_});
  EXPECT_EQ(real.exit_code, 1) << real.output;
  EXPECT_THAT(real.output, HasSubstr("container is bound to another device"));
}

TEST_F(DeviceBindingNamespaceTest, CorruptBindingFileIsReported) {
  std::ofstream(binding_) << "not cbor";
  RunResult unbind = Probe(FakeDevice(), {"unbind", binding_});
  EXPECT_EQ(unbind.exit_code, 1);
  EXPECT_THAT(unbind.output, HasSubstr("not valid CBOR"));
}

TEST_F(DeviceBindingNamespaceTest, ScriptRefusesBadUsage) {
  RunResult no_command = RunCommand({"/bin/bash", ScriptPath(), "--machine-id", "x"});
  EXPECT_EQ(no_command.exit_code, 2);
  RunResult bad_flag = RunCommand({"/bin/bash", ScriptPath(), "--nope", "--", "true"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_THAT(bad_flag.output, HasSubstr("unknown option"));
}

}  // namespace
}  // namespace licet::container
