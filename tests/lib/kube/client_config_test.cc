#include "kube/client_config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "kube/transport.h"
#include "support/files.h"

namespace oncoatlas::kube {
namespace {

namespace fs = std::filesystem;

using oncoatlas::testing::TempDir;

EnvLookup MapEnv(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

// "CA-PEM" and friends in base64.
constexpr const char* kCaB64 = "Q0EtUEVN";        // CA-PEM
constexpr const char* kCertB64 = "Q0VSVC1QRU0=";  // CERT-PEM
constexpr const char* kKeyB64 = "S0VZLVBFTQ==";   // KEY-PEM

std::string TwoContextKubeconfig() {
  return std::string(R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: hub
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: )") +
         kCaB64 + R"(
- name: site
  cluster:
    server: https://site.example.org:8443/prefix/
    certificate-authority: pki/site-ca.crt
    tls-server-name: api.site.example.org
contexts:
- name: admin
  context: {cluster: hub, user: admin, namespace: oncoatlas-system}
- name: site
  context: {cluster: site, user: agent}
users:
- name: admin
  user:
    client-certificate-data: )" +
         kCertB64 + R"(
    client-key-data: )" +
         kKeyB64 + R"(
- name: agent
  user:
    tokenFile: tokens/agent
)";
}

TEST(Kubeconfig, CurrentContextWithInlineCertificates) {
  TempDir dir;
  const std::string path = dir.Write("config", TwoContextKubeconfig());
  auto c = LoadKubeconfig({.path = path}, MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, "6443");
  EXPECT_EQ(c->base_path, "");
  EXPECT_EQ(c->ca_pem, "CA-PEM");
  EXPECT_EQ(c->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(c->client_key_pem, "KEY-PEM");
  EXPECT_EQ(c->token_source, nullptr);
  EXPECT_EQ(c->namespace_name, "oncoatlas-system");
  EXPECT_EQ(c->qps, 20);
  EXPECT_EQ(c->burst, 30);
}

TEST(Kubeconfig, ContextOverrideWithFilesRelativeToTheKubeconfig) {
  TempDir dir;
  dir.Write("pki/site-ca.crt", "SITE-CA");
  dir.Write("tokens/agent", "tok-1\n");
  const std::string path = dir.Write("config", TwoContextKubeconfig());
  auto c = LoadKubeconfig({.path = path, .context = "site"}, MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "site.example.org");
  EXPECT_EQ(c->port, "8443");
  EXPECT_EQ(c->base_path, "/prefix");
  EXPECT_EQ(c->tls_server_name, "api.site.example.org");
  EXPECT_EQ(c->ca_pem, "SITE-CA");
  EXPECT_EQ(c->namespace_name, "default");
  ASSERT_NE(c->token_source, nullptr);
  auto token = c->token_source->Token();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "tok-1");
}

TEST(Kubeconfig, KubeconfigEnvListMergesFirstWins) {
  TempDir dir;
  const std::string a = dir.Write("a", std::string(R"(current-context: ctx
contexts:
- name: ctx
  context: {cluster: c, user: u}
users:
- name: u
  user: {token: from-a}
)"));
  const std::string b = dir.Write("b", std::string(R"(current-context: other
clusters:
- name: c
  cluster: {server: "https://[::1]:7443", certificate-authority-data: )") +
                                           kCaB64 + R"(}
users:
- name: u
  user: {token: from-b}
)");
  auto c = LoadKubeconfig({}, MapEnv({{"KUBECONFIG", a + ":" + dir.path() + "/missing:" + b}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "7443");
  EXPECT_EQ(c->ServerUrl(), "https://[::1]:7443");
  ASSERT_NE(c->token_source, nullptr);
  EXPECT_EQ(*c->token_source->Token(), "from-a");
}

TEST(Kubeconfig, ErrorsNameTheFileAndTheField) {
  TempDir dir;
  const std::string path = dir.Write("config", TwoContextKubeconfig());
  auto missing_ctx = LoadKubeconfig({.path = path, .context = "nope"}, MapEnv({}));
  ASSERT_FALSE(missing_ctx.ok());
  EXPECT_NE(missing_ctx.status().message().find(path), std::string::npos);
  EXPECT_NE(missing_ctx.status().message().find("context 'nope' not found"), std::string::npos);

  // The site context's CA file does not exist.
  auto missing_file = LoadKubeconfig({.path = path, .context = "site"}, MapEnv({}));
  ASSERT_FALSE(missing_file.ok());
  EXPECT_NE(missing_file.status().message().find("clusters[name=site].cluster.certificate-authority"),
            std::string::npos)
      << missing_file.status().message();
  EXPECT_NE(missing_file.status().message().find("pki/site-ca.crt"), std::string::npos);

  const std::string bad64 = dir.Write("bad64", R"(current-context: x
contexts: [{name: x, context: {cluster: c}}]
clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: "***"}}]
)");
  auto b = LoadKubeconfig({.path = bad64}, MapEnv({}));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("certificate-authority-data: not valid base64"), std::string::npos)
      << b.status().message();

  const std::string insecure = dir.Write("insecure", R"(current-context: x
contexts: [{name: x, context: {cluster: c}}]
clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
)");
  auto i = LoadKubeconfig({.path = insecure}, MapEnv({}));
  ASSERT_FALSE(i.ok());
  EXPECT_NE(i.status().message().find("insecure-skip-tls-verify: not supported"), std::string::npos);

  const std::string http = dir.Write("http", R"(current-context: x
contexts: [{name: x, context: {cluster: c}}]
clusters: [{name: c, cluster: {server: "http://h:1"}}]
)");
  auto h = LoadKubeconfig({.path = http}, MapEnv({}));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("must be an https:// URL"), std::string::npos);

  const std::string not_yaml = dir.Write("broken", "clusters: [unclosed\n");
  auto y = LoadKubeconfig({.path = not_yaml}, MapEnv({}));
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("not valid YAML"), std::string::npos);

  auto none = LoadKubeconfig({}, MapEnv({}));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("set KUBECONFIG"), std::string::npos);

  const std::string exec = dir.Write("exec", std::string(R"(current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: )") +
                                                 kCaB64 + R"(}}]
users: [{name: u, user: {exec: {command: gcloud}}}]
)");
  auto e = LoadKubeconfig({.path = exec}, MapEnv({}));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("users[name=u].user: exec"), std::string::npos) << e.status().message();
}

TEST(InClusterConfig, ReadsServiceAccountMount) {
  TempDir dir;
  dir.Write("sa/ca.crt", "CLUSTER-CA");
  dir.Write("sa/token", "sa-token\n");
  dir.Write("sa/namespace", "oncoatlas-node-a");
  auto env = MapEnv({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  auto c = LoadInClusterConfig(env, dir.path() + "/sa");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ServerUrl(), "https://10.0.0.1:443");
  EXPECT_EQ(c->ca_pem, "CLUSTER-CA");
  EXPECT_EQ(c->namespace_name, "oncoatlas-node-a");
  EXPECT_EQ(*c->token_source->Token(), "sa-token");

  // LoadDefaultConfig prefers in-cluster only when no kubeconfig is named.
  EXPECT_FALSE(LoadInClusterConfig(MapEnv({}), dir.path() + "/sa").ok());
  auto missing = LoadInClusterConfig(env, dir.path() + "/nowhere");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.path() + "/nowhere/ca.crt"), std::string::npos);
}

TEST(FileTokenSource, PicksUpARotatedTokenAndKeepsTheLastGoodOne) {
  TempDir dir;
  const std::string path = dir.Write("token", "first");
  FakeClock clock(FakeClock::Waits::kJump);
  FileTokenSource source(path, clock);
  EXPECT_EQ(*source.Token(), "first");
  // The kubelet writes a new file and swaps it in (a rename, new inode).
  dir.Write("token.new", "second-longer");
  fs::rename(dir.path() + "/token.new", path);
  EXPECT_EQ(*source.Token(), "second-longer");
  // Mid-rotation the file may be missing: keep the last token.
  fs::remove(path);
  EXPECT_EQ(*source.Token(), "second-longer");
  FileTokenSource fresh(path, clock);
  auto err = fresh.Token();
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(err.status().message().find(path), std::string::npos);
}

TEST(FileTokenSource, RereadsAfterMaxAgeEvenIfTheFileLooksUnchanged) {
  TempDir dir;
  const std::string path = dir.Write("token", "aaaa");
  FakeClock clock(FakeClock::Waits::kJump);
  FileTokenSource source(path, clock, std::chrono::seconds(60));
  EXPECT_EQ(*source.Token(), "aaaa");
  // Rewrite in place with the same size and restore the old mtime: only the
  // max-age check can notice.
  const auto mtime = fs::last_write_time(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f << "bbbb";
  }
  fs::last_write_time(path, mtime);
  EXPECT_EQ(*source.Token(), "aaaa");
  clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(*source.Token(), "bbbb");
}

TEST(Transport, RejectsCertificatesThatAreNotPem) {
  ClientConfig c;
  c.host = "127.0.0.1";
  c.ca_pem = "not a certificate";
  c.source = "test config";
  auto t = Transport::Create(c, {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("the CA certificate is not valid PEM"), std::string::npos)
      << t.status().message();
  c.ca_pem.clear();
  auto none = Transport::Create(c, {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no CA certificate"), std::string::npos);
}

}  // namespace
}  // namespace oncoatlas::kube
