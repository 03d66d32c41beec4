#include "central/engine/history.h"

#include "crypto/crypto.h"

namespace licet::central::engine {

std::string FormatCodes(const std::set<uint32_t>& codes) {
  std::string out = "{";
  for (uint32_t c : codes) out += (out.size() > 1 ? ", " : "") + std::to_string(c);
  return out + "}";
}

Result<std::set<uint32_t>> ProductsAt(const History& h, uint64_t fuc) {
  if (fuc < h.baseline_fuc || fuc > h.issued_fuc) {
    return Error(ErrorCode::kInvalidArgument,
                 "FUC " + std::to_string(fuc) + " is outside the known history");
  }
  std::set<uint32_t> products = h.baseline_products;
  uint64_t at = h.baseline_fuc;
  for (const model::Operation& op : h.ops) {
    if (op.fuc <= at) continue;
    if (op.fuc > fuc) break;
    if (op.fuc != at + 1) {
      return Error(ErrorCode::kCorruptData,
                   "the stored history misses FUC " + std::to_string(at + 1));
    }
    at = op.fuc;
    if (const auto* add = std::get_if<model::op::AddProduct>(&op.body)) {
      products.insert(add->item.product_code);
    } else if (const auto* del = std::get_if<model::op::DeleteProduct>(&op.body)) {
      products.erase(del->product_code);
    }
  }
  if (at != fuc) {
    return Error(ErrorCode::kCorruptData, "the stored history ends at FUC " + std::to_string(at) +
                                              ", below " + std::to_string(fuc));
  }
  return products;
}

Result<std::optional<std::string>> FindContradiction(const History& h, const FirmReport& report,
                                                     ByteSpan firm_public_key) {
  using Found = std::optional<std::string>;
  if (report.fuc > h.issued_fuc) {
    return Found("the container reports FUC " + std::to_string(report.fuc) +
                 " but Central issued only up to " + std::to_string(h.issued_fuc));
  }
  if (report.fuc > 0 && !crypto::ConstantTimeEqual(report.public_key, firm_public_key)) {
    return Found("the container trusts another key for this firm");
  }
  if (report.fuc < h.baseline_fuc) {
    return Found("the container reports FUC " + std::to_string(report.fuc) +
                 ", older than the accepted baseline " + std::to_string(h.baseline_fuc));
  }
  LICET_ASSIGN_OR_RETURN(std::set<uint32_t> expected, ProductsAt(h, report.fuc));
  if (expected != report.products) {
    return Found("at FUC " + std::to_string(report.fuc) + " the container holds products " +
                 FormatCodes(report.products) + ", Central's history says " +
                 FormatCodes(expected));
  }
  return Found();
}

std::vector<model::Operation> OperationsAfter(const History& h, uint64_t fuc) {
  std::vector<model::Operation> out;
  for (const model::Operation& op : h.ops) {
    if (op.fuc > fuc && op.fuc <= h.issued_fuc) out.push_back(op);
  }
  return out;
}

}  // namespace licet::central::engine
