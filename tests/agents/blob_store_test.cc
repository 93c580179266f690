#include "store/blob_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

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
// that exists under its name afterwards must be whole.
TEST_F(FileBlobStoreTest, KilledWriterLeavesNoPartialObject) {
  {
    auto store = FileBlobStore::Open(root_);
    ASSERT_TRUE(store.ok());
  }
  for (int round = 0; round < 5; ++round) {
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
