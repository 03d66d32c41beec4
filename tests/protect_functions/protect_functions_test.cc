// Function-level protection end to end: protect_functions_demo protected with
// ProtectFunctions (what `licet protect functions` runs), then run against a real licetd
// holding the product, a product without feature 2, no product, no licetd; a patched byte;
// many threads while another locks and unlocks.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "protect/elf/elf_file.h"
#include "protect/functions/protector.h"
#include "protect/gcm/aes_gcm.h"
#include "protect/key/key_scheme.h"
#include "protect/stub_client/licetd_fixture.h"

namespace licet::protect::functions {
namespace {

using testing::LicetdFixture;

constexpr uint32_t kFull = 301010;     // features 1 and 2
constexpr uint32_t kOnly1 = 301011;    // feature 1 only
constexpr uint32_t kAbsent = 301012;   // not in the container
constexpr uint32_t kPlugin = 301013;   // the shared library's own product

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal
  int signal = 0;
  std::string out, err;
};

ProcessResult RunProgram(const std::string& path, const std::vector<std::string>& args,
               const std::vector<std::string>& env) {
  int out[2], err[2];
  EXPECT_EQ(::pipe(out), 0);
  EXPECT_EQ(::pipe(err), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<std::string> argv_s = {path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  env_s.push_back("PATH=/usr/bin:/bin");
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  ProcessResult r;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    r.err = "spawn failed";
    return r;
  }
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0 && ::poll(fds, 2, 60000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteExecutable(const std::string& path, const Bytes& data) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ::chmod(path.c_str(), 0755);
}

class ProtectFunctionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!gcm::CpuSupported()) return;
    model::ProductItem full, only1;
    full.product_code = kFull;
    full.feature_map = 0x3;
    only1.product_code = kOnly1;
    only1.feature_map = 0x1;
    model::ProductItem plugin = only1;
    plugin.product_code = kPlugin;
    std::string why;
    fixture_ = LicetdFixture::Start({full, only1, plugin}, &why).release();
    if (fixture_ == nullptr) skip_ = why;
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  void SetUp() override {
    if (!gcm::CpuSupported()) GTEST_SKIP() << "no AES-NI";
    if (fixture_ == nullptr) GTEST_SKIP() << skip_;
  }

  // The demo (or `input`) protected for `product`, written to the fixture's work dir.
  std::string Protected(uint32_t product, const std::string& name,
                        const std::string& input = LICET_PROTECT_DEMO, size_t regions_expected = 2) {
    Bytes file = ReadFile(input);
    FunctionsOptions o;
    o.product_code = product;
    o.product_name = "Demo Suite";
    o.activation_hint = "licet activate <ticket>, or https://portal.example.com";
    engine::FirmKey firm;
    firm.firm_code = testing::kTestFirm;
    firm.firm_secret = fixture_->firm_secret().Clone();
    auto regions = ProtectFunctions(file, firm, o);
    EXPECT_TRUE(regions.ok()) << regions.status().ToString();
    if (regions.ok()) {
      EXPECT_EQ(regions->size(), regions_expected);  // demo: licet_fn_1, licet_fn_2
    }
    std::string path = fixture_->work() + "/" + name;
    WriteExecutable(path, file);
    return path;
  }

  ProcessResult RunDemo(const std::string& path, const std::vector<std::string>& args) {
    return RunProgram(path, args, fixture_->Env());
  }

  static LicetdFixture* fixture_;
  static std::string skip_;
};
LicetdFixture* ProtectFunctionsTest::fixture_ = nullptr;
std::string ProtectFunctionsTest::skip_;

TEST_F(ProtectFunctionsTest, UnprotectedProgramRunsPlain) {
  ProcessResult r = RunProgram(LICET_PROTECT_DEMO, {"all"}, {"LICET_SOCKET=/nonexistent"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("protected=0\nmix1="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("caught=thrown from a protected function"), std::string::npos) << r.out;
}

TEST_F(ProtectFunctionsTest, LicensedProgramBehavesLikeTheOriginal) {
  ProcessResult plain = RunProgram(LICET_PROTECT_DEMO, {"all"}, {});
  std::string path = Protected(kFull, "full");
  ProcessResult r = RunDemo(path, {"all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::string expected = plain.out;
  expected.replace(expected.find("protected=0"), 11, "protected=1");
  EXPECT_EQ(r.out, expected);
}

TEST_F(ProtectFunctionsTest, EncryptedBytesDifferFromTheOriginal) {
  std::string path = Protected(kFull, "enc");
  Bytes before = ReadFile(LICET_PROTECT_DEMO), after = ReadFile(path);
  auto elf = elf::ElfFile::Parse(before);
  ASSERT_TRUE(elf.ok());
  const elf::Section* s = elf->FindSection("licet_fn_1");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(before.size(), after.size());
  EXPECT_NE(Bytes(before.begin() + s->offset, before.begin() + s->offset + s->size),
            Bytes(after.begin() + s->offset, after.begin() + s->offset + s->size));
  // Protecting twice is refused.
  engine::FirmKey firm;
  firm.firm_code = testing::kTestFirm;
  firm.firm_secret = fixture_->firm_secret().Clone();
  FunctionsOptions o;
  o.product_code = kFull;
  EXPECT_EQ(ProtectFunctions(after, firm, o).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ProtectFunctionsTest, MissingFeatureFailsOnlyItsFunctions) {
  std::string path = Protected(kOnly1, "only1");
  ProcessResult f1 = RunDemo(path, {"f1"});
  EXPECT_EQ(f1.exit_code, 0) << f1.err;
  ProcessResult all = RunDemo(path, {"all"});
  EXPECT_EQ(all.exit_code, 33) << all.out << all.err;
  EXPECT_NE(all.out.find("mix1="), std::string::npos) << all.out;   // feature 1 ran
  EXPECT_EQ(all.out.find("mix2="), std::string::npos) << all.out;   // feature 2 did not
  EXPECT_NE(all.err.find("Demo Suite: the license does not include feature 2"), std::string::npos)
      << all.err;
  EXPECT_NE(all.err.find("To activate: licet activate <ticket>"), std::string::npos) << all.err;
}

TEST_F(ProtectFunctionsTest, NoLicenseExitsWithMessage) {
  std::string path = Protected(kAbsent, "absent");
  ProcessResult r = RunDemo(path, {"all"});
  EXPECT_EQ(r.exit_code, 200) << r.out << r.err;
  EXPECT_EQ(r.out.find("mix1="), std::string::npos);
  EXPECT_NE(r.err.find("Demo Suite: no license found (firm 6000010, product 301012)"),
            std::string::npos)
      << r.err;
  // Through the API: the code and the message, no exit.
  ProcessResult api = RunDemo(path, {"api"});
  EXPECT_EQ(api.exit_code, 0) << api.err;
  EXPECT_NE(api.out.find("unlock=200 message=Demo Suite: no license found"), std::string::npos)
      << api.out;
}

TEST_F(ProtectFunctionsTest, NoLicetdIsUnavailable) {
  std::string path = Protected(kFull, "nodaemon");
  ProcessResult r = RunProgram(path, {"all"}, {"LICET_SOCKET=" + fixture_->work() + "/none.sock"});
  EXPECT_EQ(r.exit_code, 15) << r.err;
  EXPECT_NE(r.err.find("licetd) is not reachable"), std::string::npos) << r.err;
}

TEST_F(ProtectFunctionsTest, OnePatchedByteIsRefused) {
  std::string path = Protected(kFull, "patched");
  Bytes file = ReadFile(path);
  auto elf = elf::ElfFile::Parse(file);
  ASSERT_TRUE(elf.ok());
  // A byte of .rodata (outside the encrypted regions), and one inside a region.
  const elf::Section* rodata = elf->FindSection(".rodata");
  const elf::Section* fn2 = elf->FindSection("licet_fn_2");
  ASSERT_NE(rodata, nullptr);
  ASSERT_NE(fn2, nullptr);
  for (uint64_t at : {rodata->offset + 1, fn2->offset + 3}) {
    Bytes patched = file;
    patched[at] ^= 0x01;
    std::string p = fixture_->work() + "/patched-" + std::to_string(at);
    WriteExecutable(p, patched);
    ProcessResult r = RunDemo(p, {"all"});
    EXPECT_EQ(r.exit_code, 6) << at << r.out << r.err;
    EXPECT_NE(r.err.find("damaged or was modified"), std::string::npos) << r.err;
  }
  // Truncated (the section headers cut off the end) or with bytes appended.
  Bytes cut(file.begin(), file.end() - 64);
  WriteExecutable(fixture_->work() + "/cut", cut);
  ProcessResult r = RunDemo(fixture_->work() + "/cut", {"all"});
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  Bytes longer = file;
  longer.push_back(0);
  WriteExecutable(fixture_->work() + "/longer", longer);
  ProcessResult l = RunDemo(fixture_->work() + "/longer", {"all"});
  EXPECT_EQ(l.exit_code, 6) << l.out << l.err;
}

TEST_F(ProtectFunctionsTest, ThreadsCallWhileAnotherLocksAndUnlocks) {
  std::string path = Protected(kFull, "threads");
  ProcessResult r = RunDemo(path, {"threads", "6", "1.5"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("threads ok"), std::string::npos) << r.out;
  std::printf("%s", r.out.c_str());
}

TEST_F(ProtectFunctionsTest, BenchFirstCallAndSteadyState) {
  std::string path = Protected(kFull, "bench");
  ProcessResult r = RunDemo(path, {"bench"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::printf("%s", r.out.c_str());
  RecordProperty("bench", r.out);
}

TEST_F(ProtectFunctionsTest, SharedLibraryAndProgramEachWithTheirOwnGate) {
  ProcessResult plain = RunProgram(LICET_PROTECT_DEMO, {"lib", LICET_PROTECT_DEMO_LIB}, {});
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  // Each protected object takes its own access (user-limit: one seat each), so the plug-in
  // is a product of its own here.
  std::string lib = Protected(kPlugin, "libdemo.so", LICET_PROTECT_DEMO_LIB, 1);
  std::string exe = Protected(kFull, "demo-with-lib");
  ProcessResult r = RunDemo(exe, {"lib", lib});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string expected = plain.out;
  expected.replace(expected.find("lib_protected=0"), 15, "lib_protected=1");
  EXPECT_EQ(r.out, expected);
  // The library without a license for it: its function exits, with the message.
  std::string lib_absent = Protected(kAbsent, "libabsent.so", LICET_PROTECT_DEMO_LIB, 1);
  ProcessResult absent = RunDemo(LICET_PROTECT_DEMO, {"lib", lib_absent});
  EXPECT_EQ(absent.exit_code, 200) << absent.out << absent.err;
}

TEST_F(ProtectFunctionsTest, IpProtectionNeedsNoLicetdButAnIntactFile) {
  Bytes file = ReadFile(LICET_PROTECT_DEMO);
  FunctionsOptions o;
  o.ip_protection = true;
  auto regions = ProtectFunctions(file, engine::FirmKey{}, o);
  ASSERT_TRUE(regions.ok()) << regions.status().ToString();
  std::string path = fixture_->work() + "/ip";
  WriteExecutable(path, file);
  ProcessResult plain = RunProgram(LICET_PROTECT_DEMO, {"all"}, {});
  ProcessResult r = RunProgram(path, {"all"}, {"LICET_SOCKET=/nonexistent"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string expected = plain.out;
  expected.replace(expected.find("protected=0"), 11, "protected=1");
  EXPECT_EQ(r.out, expected);
  auto elf = elf::ElfFile::Parse(file);
  ASSERT_TRUE(elf.ok());
  file[elf->FindSection(".rodata")->offset + 2] ^= 0x40;
  WriteExecutable(path + "-patched", file);
  ProcessResult patched = RunProgram(path + "-patched", {"all"}, {});
  EXPECT_EQ(patched.exit_code, 6) << patched.out << patched.err;
}

TEST_F(ProtectFunctionsTest, CommandLineTool) {
  const std::string licet = fixture_->bin_dir() + "/licet";
  ProcessResult help = RunProgram(licet, {"protect", "functions", "--help"}, {});
  if (help.exit_code != 0) GTEST_SKIP() << "licet protect functions not built into " << licet;
  const std::string out = fixture_->work() + "/cli-demo";
  ProcessResult r = RunProgram(licet,
                               {"protect", "functions", "--firm-key", fixture_->firm_key_path(),
                                "--firm-code", std::to_string(testing::kTestFirm),
                                "--product-code", std::to_string(kFull), "--product-name",
                                "Demo Suite", "--json", LICET_PROTECT_DEMO, "-o", out},
                               {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"feature_code\": 2"), std::string::npos) << r.out;
  ProcessResult run = RunDemo(out, {"all"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("mix2="), std::string::npos) << run.out;
  // A wrong firm code and a file protected already are refused with exit code 1.
  ProcessResult wrong = RunProgram(licet,
                                   {"protect", "functions", "--firm-key", fixture_->firm_key_path(),
                                    "--firm-code", "1", "--product-code", "5", LICET_PROTECT_DEMO,
                                    "-o", out + "2"},
                                   {});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  ProcessResult twice = RunProgram(licet,
                                   {"protect", "functions", "--firm-key", fixture_->firm_key_path(),
                                    "--product-code", "5", out, "-o", out + "3"},
                                   {});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("protected already"), std::string::npos) << twice.err;
}

// The fuzz seed: a minimal shared object with two feature sections, padding and the
// descriptor space, as the macro and the runtime lay them out.
TEST(ProtectFunctionsToolTest, ProtectsAMinimalObject) {
  const char* src = std::getenv("LICET_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "LICET_SOURCE_DIR not set";
  Bytes file = ReadFile(std::string(src) + "/fuzz/corpus/protect_functions_fuzz/two_features.so");
  ASSERT_FALSE(file.empty());
  engine::FirmKey firm;
  firm.firm_code = 6000010;
  firm.firm_secret = SecretBytes(32);
  FunctionsOptions o;
  o.product_code = 7;
  auto regions = ProtectFunctions(file, firm, o);
  ASSERT_TRUE(regions.ok()) << regions.status().ToString();
  ASSERT_EQ(regions->size(), 2u);
  EXPECT_EQ((*regions)[0].feature_code, 1u);
  EXPECT_EQ((*regions)[1].feature_code, 2u);
  auto elf = elf::ElfFile::Parse(file);
  ASSERT_TRUE(elf.ok());
  const elf::Section* desc = elf->FindSection(kDescriptorSection);
  ASSERT_NE(desc, nullptr);
  auto d = key::ParseDescriptor(ByteSpan(file).subspan(desc->offset, sizeof(key::Descriptor)));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->key_count, 2u);
  EXPECT_EQ(d->kind, static_cast<uint32_t>(key::Kind::kFunctions));
}

TEST(ProtectFunctionsToolTest, RefusesFilesWithoutTheRuntime) {
  Bytes file = ReadFile("/bin/true");
  if (file.empty()) GTEST_SKIP() << "no /bin/true";
  engine::FirmKey firm;
  firm.firm_code = 6000010;
  firm.firm_secret = SecretBytes(32);
  FunctionsOptions o;
  o.product_code = 1;
  auto r = ProtectFunctions(file, firm, o);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("licet_fn_desc"), std::string::npos) << r.status().message();
  Bytes junk = {0x7f, 'E', 'L', 'F', 1};
  EXPECT_FALSE(ProtectFunctions(junk, firm, o).ok());
  o.product_code = 0;
  EXPECT_EQ(ProtectFunctions(file, firm, o).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace licet::protect::functions
