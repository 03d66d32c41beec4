#include "central/engine/vault.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace licet::central::engine {
namespace {

const std::string kKek(64, 'a');

TEST(VaultTest, KekMustBe32BytesOfHex) {
  EXPECT_TRUE(Vault::FromHex(kKek).ok());
  EXPECT_TRUE(Vault::FromHex(kKek + "\n").ok());  // a kek_file with a trailing newline
  EXPECT_FALSE(Vault::FromHex(std::string(62, 'a')).ok());
  EXPECT_FALSE(Vault::FromHex(std::string(64, 'g')).ok());
  EXPECT_FALSE(Vault::FromHex("").ok());
}

TEST(VaultTest, KekIdIdentifiesTheKekWithoutRevealingIt) {
  auto a = Vault::FromHex(kKek);
  auto b = Vault::FromHex(std::string(64, 'b'));
  EXPECT_EQ(a->KekId().size(), 16u);
  EXPECT_NE(a->KekId(), b->KekId());
  EXPECT_EQ(a->KekId(), Vault::FromHex(kKek)->KekId());
  EXPECT_EQ(kKek.find(a->KekId()), std::string::npos);
}

TEST(VaultTest, FirmSecretsRoundTripAndStayBound) {
  auto vault = *Vault::FromHex(kKek);
  auto firm = *licet::engine::GenerateFirmKey(6000010, "Sample", 100);
  Bytes sealed = *vault.SealFirmSecrets(firm);
  // Nothing of the secrets in the blob.
  std::string blob(sealed.begin(), sealed.end());
  EXPECT_EQ(blob.find(std::string(firm.firm_secret.span().begin(), firm.firm_secret.span().end())),
            std::string::npos);
  auto opened = vault.OpenFirmSecrets(6000010, "Sample", firm.public_key, 100, sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(crypto::ConstantTimeEqual(opened->firm_secret.span(), firm.firm_secret.span()));
  EXPECT_TRUE(crypto::ConstantTimeEqual(opened->signing_key.span(), firm.signing_key.span()));
  // Moved to another firm code, or opened under another KEK: refused.
  EXPECT_EQ(vault.OpenFirmSecrets(6000011, "Sample", firm.public_key, 100, sealed).status().code(),
            ErrorCode::kDecryptFailed);
  auto other = *Vault::FromHex(std::string(64, 'b'));
  EXPECT_EQ(other.OpenFirmSecrets(6000010, "Sample", firm.public_key, 100, sealed).status().code(),
            ErrorCode::kDecryptFailed);
  sealed[20] ^= 1;
  EXPECT_FALSE(vault.OpenFirmSecrets(6000010, "Sample", firm.public_key, 100, sealed).ok());
  EXPECT_FALSE(vault.OpenFirmSecrets(6000010, "Sample", firm.public_key, 100, Bytes{1, 2}).ok());
}

TEST(VaultTest, OperationsRoundTripAndStayBoundToTheirRange) {
  auto vault = *Vault::FromHex(kKek);
  model::ProductItem item;
  item.product_code = 201010;
  item.feature_map = 3;
  std::vector<model::Operation> ops{{1, model::op::AddFirmItem{"Sample", Bytes(32, 1)}},
                                    {2, model::op::AddProduct{item}}};
  Bytes sealed = *vault.SealOperations("130-5", 6000010, ops);
  auto opened = vault.OpenOperations("130-5", 6000010, 1, 2, sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, ops);
  EXPECT_FALSE(vault.OpenOperations("130-6", 6000010, 1, 2, sealed).ok());
  EXPECT_FALSE(vault.OpenOperations("130-5", 6000010, 1, 3, sealed).ok());
  EXPECT_FALSE(vault.SealOperations("130-5", 6000010, {}).ok());
}

TEST(VaultTest, TemplatesAreBoundToTheirProduct) {
  auto vault = *Vault::FromHex(kKek);
  Bytes plain{1, 2, 3};
  Bytes sealed = *vault.SealTemplate(1, 2, plain);
  auto opened = vault.OpenTemplate(1, 2, sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(Bytes(opened->span().begin(), opened->span().end()), plain);
  EXPECT_FALSE(vault.OpenTemplate(1, 3, sealed).ok());
}

}  // namespace
}  // namespace licet::central::engine
