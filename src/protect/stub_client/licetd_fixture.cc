#include "protect/stub_client/licetd_fixture.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/update_file.h"
#include "model/operation.h"

extern char** environ;

namespace licet::protect::testing {

std::unique_ptr<LicetdFixture> LicetdFixture::Start(const std::vector<model::ProductItem>& items,
                                                    std::string* why) {
  std::unique_ptr<LicetdFixture> f(new LicetdFixture());
  const char* bin = std::getenv("LICET_BIN_DIR");
  f->bin_ = bin != nullptr ? bin : "";
  if (f->bin_.empty() || ::access((f->bin_ + "/licetd").c_str(), X_OK) != 0) {
    *why = "licetd not built (LICET_BIN_DIR=" + f->bin_ + ")";
    return nullptr;
  }
  char tmpl[] = "/tmp/licet-protect-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    *why = "mkdtemp failed";
    return nullptr;
  }
  f->work_ = tmpl;
  f->home_ = f->work_ + "/home";
  f->socket_ = f->work_ + "/licetd.sock";
  f->firm_key_ = f->work_ + "/firm.key";
  auto fail = [&](const Status& st) {
    *why = st.ToString();
    return nullptr;
  };
  const UnixTime now = SystemClock::Get().Now();
  auto firm = engine::GenerateFirmKey(kTestFirm, "Sample Company", now);
  if (!firm.ok()) return fail(firm.status());
  f->firm_ = std::move(firm).value();
  auto key_file = engine::EncodeFirmKeyFile(f->firm_, "");
  if (!key_file.ok()) return fail(key_file.status());
  std::ofstream(f->firm_key_, std::ios::binary)
      .write(reinterpret_cast<const char*>(key_file->data()),
             static_cast<std::streamsize>(key_file->size()));
  engine::ContainerStore store(f->home_);
  auto serial = store.Create();
  if (!serial.ok()) return fail(serial.status());
  f->serial_ = *serial;
  if (!items.empty()) {
    auto container = store.Open(f->serial_);
    if (!container.ok()) return fail(container.status());
    auto ctx_file = engine::MakeContextFile(*container, kTestFirm, format::FileKind::kContext, now);
    if (!ctx_file.ok()) return fail(ctx_file.status());
    auto ctx = engine::ReadContextFile(*ctx_file);
    if (!ctx.ok()) return fail(ctx.status());
    std::vector<model::OperationBody> ops;
    for (const model::ProductItem& item : items) ops.push_back(model::op::AddProduct{item});
    auto update = engine::CreateUpdateFile(f->firm_, *ctx, std::move(ops), now);
    if (!update.ok()) return fail(update.status());
    auto imported = engine::ImportUpdate(store, *update);
    if (!imported.ok()) return fail(imported.status());
  }
  Status st = f->StartDaemon();
  if (!st.ok()) return fail(st);
  return f;
}

Status LicetdFixture::StartDaemon() {
  int out[2];
  if (::pipe(out) != 0) return Error(ErrorCode::kIoError, "pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string path = bin_ + "/licetd";
  std::vector<std::string> args = {path,     "--foreground", "--socket",       socket_,
                                   "--home", home_,          "--admin-listen", "127.0.0.1:0",
                                   "--log-level", "warn",    "--config",       "/dev/null"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    pid_ = -1;
    return Error(ErrorCode::kIoError, "cannot start " + path);
  }
  std::string line;
  pollfd pfd{out[0], POLLIN, 0};
  char ch;
  while (line.find('\n') == std::string::npos && ::poll(&pfd, 1, 20000) > 0 &&
         ::read(out[0], &ch, 1) == 1) {
    line += ch;
  }
  ::close(out[0]);
  if (line.find("licetd ready") == std::string::npos) {
    return Error(ErrorCode::kUnavailable, "licetd did not start: " + line);
  }
  return Status::Ok();
}

void LicetdFixture::StopDaemon() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

LicetdFixture::~LicetdFixture() {
  StopDaemon();
  std::error_code ec;
  if (!work_.empty()) std::filesystem::remove_all(work_, ec);
}

std::vector<std::string> LicetdFixture::Env() const {
  return {"LICET_SOCKET=" + socket_, "LICET_HOME=" + home_};
}

}  // namespace licet::protect::testing
