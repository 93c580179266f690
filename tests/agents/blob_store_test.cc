#include "store/blob_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/fault_injection_env.h"
#include "crypto/sha256.h"

namespace oncoatlas::agent {
namespace {

namespace fs = std::filesystem;

class FileBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("blobstore-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(FileBlobStoreTest, PutIsContentAddressedAndIdempotent) {
  auto store = FileBlobStore::Open(root_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto a = (*store)->Put("first object");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, crypto::Sha256Hex("first object"));
  auto again = (*store)->Put("first object");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *a);
  EXPECT_TRUE((*store)->Contains(*a));
  auto got = (*store)->Get(*a);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "first object");
  EXPECT_TRUE(fs::exists((*store)->PathOf(*a)));
  EXPECT_TRUE((*store)->Verify(*a).ok());
}

TEST_F(FileBlobStoreTest, MissingAndMalformedNames) {
  auto store = FileBlobStore::Open(root_);
  ASSERT_TRUE(store.ok());
  auto missing = (*store)->Get(crypto::Sha256Hex("never stored"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto bad = (*store)->Get("../../etc/passwd");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE((*store)->Contains("../../etc/passwd"));
}

TEST_F(FileBlobStoreTest, VerifyDetectsCorruption) {
  auto store = FileBlobStore::Open(root_);
  ASSERT_TRUE(store.ok());
  auto name = (*store)->Put("pristine bytes");
  ASSERT_TRUE(name.ok());
  std::ofstream((*store)->PathOf(*name), std::ios::trunc) << "tampered";
  Status s = (*store)->Verify(*name);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("corrupted"), std::string::npos);
}

TEST_F(FileBlobStoreTest, OpenRemovesTemporariesLeftByACrash) {
  {
    auto store = FileBlobStore::Open(root_);
    ASSERT_TRUE(store.ok());
  }
  std::ofstream(root_ / "tmp" / "leftover.123.0") << "half written";
  auto store = FileBlobStore::Open(root_);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

TEST_F(FileBlobStoreTest, ConcurrentPutsOfTheSameBytesAgree) {
  auto store = FileBlobStore::Open(root_);
  ASSERT_TRUE(store.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> names(8);
  for (size_t i = 0; i < names.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = (*store)->Put(std::string(100000, 'z'));
      names[i] = r.ok() ? *r : r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& n : names) EXPECT_EQ(n, names[0]);
  EXPECT_TRUE((*store)->Verify(names[0]).ok());
}

// kill -9 at arbitrary instants while objects are being written: every object
// that exists under its name afterwards must be whole. (The instants are
// covered one by one with FaultInjectionEnv below; this is the real thing.)
TEST_F(FileBlobStoreTest, KilledWriterLeavesNoPartialObject) {
  {
    auto store = FileBlobStore::Open(root_);
    ASSERT_TRUE(store.ok());
  }
  for (int round = 0; round < 3; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto store = FileBlobStore::Open(root_);
      if (!store.ok()) ::_exit(1);
      for (int i = 0;; ++i) {
        (void)(*store)->Put(std::string(static_cast<size_t>(200000 + i), static_cast<char>('a' + (i + round) % 26)) +
                            std::to_string(round * 100000 + i));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + 17 * round));  // let it write mid-object
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  auto store = FileBlobStore::Open(root_);
  ASSERT_TRUE(store.ok());
  int objects = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root_ / "sha256")) {
    if (!entry.is_regular_file()) continue;
    ++objects;
    EXPECT_TRUE((*store)->Verify(entry.path().filename().string()).ok()) << entry.path();
  }
  EXPECT_GT(objects, 0);
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

TEST_F(FileBlobStoreTest, RemoveDeletesTheObjectAndIsIdempotent) {
  auto store = FileBlobStore::Open(root_.string());
  ASSERT_TRUE(store.ok());
  auto a = (*store)->Put("object a");
  auto b = (*store)->Put("object b");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*store)->Remove(*a).ok());
  EXPECT_FALSE((*store)->Contains(*a));
  EXPECT_FALSE(fs::exists((*store)->PathOf(*a)));
  EXPECT_TRUE((*store)->Contains(*b)) << "only the named object goes";
  EXPECT_TRUE((*store)->Remove(*a).ok()) << "removing an absent object is not an error";
  EXPECT_EQ((*store)->Remove("../etc/passwd").code(), StatusCode::kInvalidArgument);
  auto again = (*store)->Put("object a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*store)->Get(*a), "object a") << "a removed object can be stored again";
}

// Objects whose names a store on `env` shows: each must be whole.
std::vector<std::string> ListAndVerify(Env& env, FileBlobStore& store) {
  std::vector<std::string> names;
  auto files = ListFilesRecursively(env, "/store/sha256");
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  for (const std::string& f : files.ok() ? *files : std::vector<std::string>{}) {
    names.push_back(f.substr(f.rfind('/') + 1));
    EXPECT_TRUE(store.Verify(names.back()).ok()) << f;
  }
  return names;
}

std::string Object(int i) { return std::string(static_cast<std::size_t>(1000 + i), static_cast<char>('a' + i)); }

// A power cut instead of each operation in turn, while objects are stored:
// afterwards every object there is whole, every Put that returned OK is
// there, and no temporary stays once the store is opened again.
TEST(FileBlobStoreFaults, APowerCutAtAnyInstantKeepsWholeAcknowledgedObjectsOnly) {
  constexpr int kObjects = 4;
  std::uint64_t operations = 0;
  {
    FaultInjectionEnv env;
    auto store = FileBlobStore::Open("/store", env);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < kObjects; ++i) ASSERT_TRUE((*store)->Put(Object(i)).ok());
    operations = env.operations();
  }
  for (std::uint64_t cut = 1; cut <= operations; ++cut) {
    SCOPED_TRACE("power cut at operation " + std::to_string(cut));
    FaultInjectionEnv env;
    env.CutPowerAt(cut);
    std::vector<std::string> acknowledged;
    {
      auto store = FileBlobStore::Open("/store", env);
      for (int i = 0; store.ok() && i < kObjects; ++i) {
        auto name = (*store)->Put(Object(i));
        if (name.ok()) acknowledged.push_back(*name);
      }
    }
    ASSERT_FALSE(env.PowerIsOn());
    env.Restart();
    auto store = FileBlobStore::Open("/store", env);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<std::string> present = ListAndVerify(env, **store);
    for (const std::string& name : acknowledged) {
      EXPECT_NE(std::find(present.begin(), present.end(), name), present.end()) << "lost " << name;
    }
    EXPECT_TRUE(env.ListDir("/store/tmp")->empty());
    for (int i = 0; i < kObjects; ++i) EXPECT_TRUE((*store)->Put(Object(i)).ok()) << "stores again after the cut";
  }
}

// Each operation of a Put failing in turn (an I/O error): the Put fails,
// nothing partial is visible, and the next Put succeeds.
TEST(FileBlobStoreFaults, AFailedWriteLeavesNoPartialObject) {
  std::uint64_t put_operations = 0;
  {
    FaultInjectionEnv env;
    auto store = FileBlobStore::Open("/store", env);
    ASSERT_TRUE(store.ok());
    const std::uint64_t before = env.operations();
    ASSERT_TRUE((*store)->Put(Object(0)).ok());
    put_operations = env.operations() - before;
  }
  ASSERT_EQ(put_operations, 7u);  // mkdir, sync of sha256/, create, write, fsync, rename, sync of the prefix
  for (std::uint64_t n = 1; n <= put_operations; ++n) {
    SCOPED_TRACE("operation " + std::to_string(n) + " fails");
    FaultInjectionEnv env;
    auto store = FileBlobStore::Open("/store", env);
    ASSERT_TRUE(store.ok());
    env.FailOperation(n, EIO);
    auto failed = (*store)->Put(Object(0));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
    EXPECT_NE(failed.status().message().find("store /store: "), std::string::npos) << failed.status().ToString();
    EXPECT_TRUE(env.ListDir("/store/tmp")->empty());
    // A failure after the rename (syncing the folder) leaves the whole object, which is fine.
    ListAndVerify(env, **store);
    ASSERT_TRUE((*store)->Put(Object(0)).ok());
    EXPECT_EQ(*(*store)->Get(crypto::Sha256Hex(Object(0))), Object(0));
  }
}

TEST(FileBlobStoreFaults, AFullDiskIsResourceExhaustedUntilSpaceReturns) {
  FaultInjectionEnv env;
  auto store = FileBlobStore::Open("/store", env);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("small").ok());
  env.SetCapacity(env.UsedBytes() + 100);
  auto full = (*store)->Put(std::string(1000, 'x'));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("store /store"), std::string::npos) << full.status().ToString();
  EXPECT_NE(full.status().message().find("disk full"), std::string::npos) << full.status().ToString();
  EXPECT_FALSE((*store)->Contains(crypto::Sha256Hex(std::string(1000, 'x'))));
  EXPECT_TRUE(env.ListDir("/store/tmp")->empty()) << "the partial temporary is removed";
  EXPECT_EQ(ListAndVerify(env, **store).size(), 1u);
  env.SetCapacity(std::nullopt);
  EXPECT_TRUE((*store)->Put(std::string(1000, 'x')).ok());
}

TEST(MemoryBlobStore, Remove) {
  MemoryBlobStore store;
  auto a = store.Put("x");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store.Remove(*a).ok());
  EXPECT_FALSE(store.Contains(*a));
  EXPECT_TRUE(store.Remove(*a).ok());
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryBlobStore, BehavesLikeTheFileStore) {
  MemoryBlobStore store;
  auto a = store.Put("x");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, crypto::Sha256Hex("x"));
  EXPECT_TRUE(store.Put("x").ok());
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.Verify(*a).ok());
  EXPECT_EQ(store.Get("nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace oncoatlas::agent
