// licet update create: the vendor's offline licensing tool. Reads a customer's context and
// the firm.key, writes an update for that one container.
#include <cstdio>

#include "common/env.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"
#include "model/items.h"
#include "model/operation.h"
#include "tools/licet/cli.h"
#include "tools/licet/item_options.h"
#include "tools/licet/passphrase.h"

namespace licet::cli {
namespace {

struct UpdateOptions {
  std::string firm_key;
  std::string passphrase_file;
  std::string context;
  std::string output;
  std::string add_product;
  std::string modify_product;
  std::string delete_product;
  std::string add_units;
  ItemOptions item;
};

Result<std::vector<model::OperationBody>> BuildOperations(const UpdateOptions& o, UnixTime now) {
  int chosen = !o.add_product.empty() + !o.modify_product.empty() + !o.delete_product.empty();
  if (chosen != 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "say what the update does: exactly one of --add-product, --modify-product, --delete-product");
  }
  std::vector<model::OperationBody> ops;
  if (!o.add_product.empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(o.add_product, 0xffffffff, "product code"));
    if (!o.add_units.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--add-units is for --modify-product; use --units");
    }
    LICET_ASSIGN_OR_RETURN(model::ProductItem item,
                           BuildProductItem(static_cast<uint32_t>(code), o.item, now));
    ops.push_back(model::op::AddProduct{std::move(item)});
  } else if (!o.modify_product.empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(o.modify_product, 0xffffffff, "product code"));
    LICET_ASSIGN_OR_RETURN(std::optional<model::ProductPatch> patch, BuildProductPatch(o.item, now));
    if (patch) ops.push_back(model::op::ModifyProduct{static_cast<uint32_t>(code), std::move(*patch)});
    if (!o.add_units.empty()) {
      char* end = nullptr;
      long long delta = std::strtoll(o.add_units.c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || o.add_units.empty()) {
        return Error(ErrorCode::kInvalidArgument, "--add-units '" + o.add_units + "' is not a whole number");
      }
      ops.push_back(model::op::AddUnits{static_cast<uint32_t>(code), delta});
    }
    if (ops.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--modify-product needs at least one option to change (see 'licet update create --help')");
    }
  } else {
    LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(o.delete_product, 0xffffffff, "product code"));
    if (HasAnyItemOption(o.item) || !o.add_units.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--delete-product takes no product options");
    }
    ops.push_back(model::op::DeleteProduct{static_cast<uint32_t>(code)});
  }
  return ops;
}

Status CreateUpdate(const UpdateOptions& o) {
  UnixTime now = SystemClock::Get().Now();
  // Check the request before touching the key: a typo should not cost a passphrase prompt.
  LICET_ASSIGN_OR_RETURN(std::vector<model::OperationBody> ops, BuildOperations(o, now));
  LICET_ASSIGN_OR_RETURN(Bytes context_file, ReadInput(o.context));
  auto context = engine::ReadContextFile(context_file);
  if (!context.ok()) return context.status().WithContext(o.context);
  LICET_ASSIGN_OR_RETURN(Bytes key_file, Env::Default().ReadFile(o.firm_key));
  LICET_ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(o.passphrase_file));
  auto firm = engine::DecodeFirmKeyFile(key_file, passphrase);
  SecureWipe(passphrase.data(), passphrase.size());
  if (!firm.ok()) return firm.status().WithContext(o.firm_key);
  LICET_ASSIGN_OR_RETURN(Bytes update, engine::CreateUpdateFile(*firm, *context, std::move(ops), now));
  LICET_RETURN_IF_ERROR(WriteOutput(o.output, update));
  if (o.output != "-") {
    std::fprintf(stderr, "wrote update for container %s (firm %u) to %s\n", context->serial.c_str(),
                 firm->firm_code, o.output.c_str());
  }
  return Status::Ok();
}

}  // namespace

void RegisterUpdateCommands(CLI::App& app, Globals& /*g*/, Action* action) {
  CLI::App* update = app.add_subcommand("update", "vendor side: create license updates offline");
  update->require_subcommand(1);
  auto o = std::make_shared<UpdateOptions>();
  CLI::App* create = update->add_subcommand(
      "create", "create an update for the container of a context file, signed with a firm key");
  create->add_option("--firm-key", o->firm_key, "the vendor's firm.key")->required();
  create->add_option("--passphrase-file", o->passphrase_file,
                     "passphrase of the firm key (or $LICET_FIRM_KEY_PASSPHRASE)");
  create->add_option("--context", o->context, "the customer's .context file")->required();
  create->add_option("-o,--output", o->output, "the .update file to write ('-' for stdout)")->required();
  create->add_option("--add-product", o->add_product, "add a product item with this product code");
  create->add_option("--modify-product", o->modify_product, "change the product item with this code");
  create->add_option("--delete-product", o->delete_product, "delete the product item with this code");
  create->add_option("--add-units", o->add_units, "with --modify-product: add (or, negative, remove) units");
  AddItemOptions(*create, o->item);
  create->callback([action, o] { *action = [o] { return CreateUpdate(*o); }; });
}

}  // namespace licet::cli
