#include "core/env.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/fault_injection_env.h"

namespace oncoatlas {
namespace {

namespace fs = std::filesystem;

Status Write(Env& env, const std::string& path, std::string_view data, bool sync) {
  auto file = env.NewWritableFile(path, 0644);
  if (!file.ok()) return file.status();
  ONCOATLAS_RETURN_IF_ERROR((*file)->Append(data));
  if (sync) ONCOATLAS_RETURN_IF_ERROR((*file)->Sync());
  return (*file)->Close();
}

std::string Contents(Env& env, const std::string& path) {
  auto data = ReadFile(env, path);
  return data.ok() ? *data : data.status().ToString();
}

class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::path(::testing::TempDir()) / ("env-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  Env& env_ = Env::Default();
  std::string root_;
};

TEST_F(PosixEnvTest, FilesAreWrittenRenamedReadListedAndRemoved) {
  ASSERT_TRUE(CreateDirs(env_, root_ + "/a/b", 0750, true).ok());
  ASSERT_TRUE(CreateDirs(env_, root_ + "/a/b").ok()) << "an existing folder is fine";
  ASSERT_TRUE(WriteFileAtomically(env_, root_ + "/a/b/f", root_ + "/a/f.tmp", "hello", 0600, true).ok());
  EXPECT_FALSE(fs::exists(root_ + "/a/f.tmp"));
  EXPECT_EQ(Contents(env_, root_ + "/a/b/f"), "hello");
  auto info = env_.Stat(root_ + "/a/b/f");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type, FileType::kRegular);
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(info->mode, 0600u);
  EXPECT_EQ(env_.Stat(root_ + "/a")->type, FileType::kDirectory);
  ASSERT_TRUE(env_.SyncDir(root_ + "/a/b").ok());
  ASSERT_TRUE(env_.SyncFileSystem(root_).ok());

  auto entries = env_.ListDir(root_ + "/a");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "b");
  EXPECT_EQ((*entries)[0].type, FileType::kDirectory);

  ASSERT_TRUE(env_.RemoveFile(root_ + "/a/b/f").ok());
  EXPECT_EQ(env_.RemoveFile(root_ + "/a/b/f").code(), StatusCode::kNotFound);
  EXPECT_EQ(env_.NewRandomAccessFile(root_ + "/a/b/f").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_.Stat(root_ + "/nothing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_.CreateDir(root_ + "/a", 0700).code(), StatusCode::kAlreadyExists);
}

TEST_F(PosixEnvTest, AppendFromCopiesARangeAndNoticesAShortInput) {
  ASSERT_TRUE(Write(env_, root_ + "/in", "0123456789", false).ok());
  auto in = env_.NewRandomAccessFile(root_ + "/in");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ((*in)->Size(), 10u);
  auto out = env_.NewWritableFile(root_ + "/out", 0644);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Append("head:").ok());
  ASSERT_TRUE((*out)->AppendFrom(**in, 4, 6).ok());
  EXPECT_EQ((*out)->AppendFrom(**in, 8, 5).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(Contents(env_, root_ + "/out").substr(0, 11), "head:456789");
}

TEST_F(PosixEnvTest, ListingFilesRecursivelyFollowsLinksToFilesOnlyInPathOrder) {
  ASSERT_TRUE(CreateDirs(env_, root_ + "/in/a/b").ok());
  for (const char* f : {"/in/a/b/x", "/in/a-c", "/in/a/y", "/in/z"})
    ASSERT_TRUE(Write(env_, root_ + f, "1", false).ok());
  fs::create_symlink(root_ + "/in/z", root_ + "/in/link-to-file");
  fs::create_symlink(root_ + "/in/a", root_ + "/in/link-to-folder");
  auto files = ListFilesRecursively(env_, root_ + "/in");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::vector<std::string> expected;
  for (const char* f : {"/in/a/b/x", "/in/a/y", "/in/a-c", "/in/link-to-file", "/in/z"}) expected.push_back(root_ + f);
  EXPECT_EQ(*files, expected);
  EXPECT_EQ(ListFilesRecursively(env_, root_ + "/none").status().code(), StatusCode::kNotFound);
}

TEST(ErrnoStatus, NamesTheOperationAndClassifies) {
  Status full = ErrnoStatus("write /store/tmp/x", ENOSPC);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("write /store/tmp/x: disk full"), std::string::npos) << full.message();
  EXPECT_EQ(ErrnoStatus("x", EDQUOT).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus("x", ENOENT).code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoStatus("x", EACCES).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoStatus("x", EIO).code(), StatusCode::kInternal);
}

TEST(FaultInjectionEnv, APowerCutKeepsOnlySyncedBytesAndNames) {
  FaultInjectionEnv env;
  ASSERT_TRUE(CreateDirs(env, "/d").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  ASSERT_TRUE(Write(env, "/d/synced", "kept", true).ok());
  ASSERT_TRUE(Write(env, "/d/unsynced", "lost", false).ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  auto file = env.NewWritableFile("/d/synced", 0644);  // emptied, then rewritten without a sync
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("new").ok());
  ASSERT_TRUE(Write(env, "/d/not-in-folder", "x", true).ok());  // synced bytes, folder not synced
  ASSERT_TRUE(CreateDirs(env, "/d/e/f").ok());
  ASSERT_TRUE(env.SyncDir("/d/e").ok());  // f is in e, but e is not in d

  env.CutPower();
  EXPECT_FALSE(env.PowerIsOn());
  EXPECT_EQ(env.Stat("/d").status().code(), StatusCode::kUnavailable) << "nothing works while the power is off";
  env.Restart();
  EXPECT_EQ(Contents(env, "/d/synced"), "kept");
  EXPECT_EQ(Contents(env, "/d/unsynced"), "");
  EXPECT_EQ(env.Stat("/d/not-in-folder").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env.Stat("/d/e").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*file)->Append("x").code(), StatusCode::kUnavailable) << "a file opened before the cut is gone";
}

TEST(FaultInjectionEnv, RenamesAndRemovalsLastOnceTheirFoldersAreSynced) {
  FaultInjectionEnv env;
  ASSERT_TRUE(CreateDirs(env, "/tmp").ok());
  ASSERT_TRUE(CreateDirs(env, "/obj").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  ASSERT_TRUE(Write(env, "/tmp/a", "A", true).ok());
  ASSERT_TRUE(Write(env, "/tmp/b", "B", true).ok());
  ASSERT_TRUE(Write(env, "/obj/old", "O", true).ok());
  ASSERT_TRUE(env.SyncDir("/tmp").ok());
  ASSERT_TRUE(env.SyncDir("/obj").ok());
  ASSERT_TRUE(env.RenameFile("/tmp/a", "/obj/a").ok());
  ASSERT_TRUE(env.RenameFile("/tmp/b", "/obj/b").ok());
  ASSERT_TRUE(env.RemoveFile("/obj/old").ok());
  ASSERT_TRUE(env.SyncDir("/obj").ok());
  ASSERT_TRUE(env.RenameFile("/obj/b", "/obj/c").ok());  // not synced
  env.CutPower();
  env.Restart();
  EXPECT_EQ(Contents(env, "/obj/a"), "A");
  EXPECT_EQ(Contents(env, "/obj/b"), "B");
  EXPECT_EQ(env.Stat("/obj/c").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env.Stat("/obj/old").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Contents(env, "/tmp/a"), "A") << "the source folder was not synced: the old name is back";
}

TEST(FaultInjectionEnv, SyncingTheFileSystemKeepsEverything) {
  FaultInjectionEnv env;
  ASSERT_TRUE(CreateDirs(env, "/x/y").ok());
  ASSERT_TRUE(Write(env, "/x/y/f", "all", false).ok());
  ASSERT_TRUE(env.SyncFileSystem("/x").ok());
  env.CutPower();
  env.Restart();
  EXPECT_EQ(Contents(env, "/x/y/f"), "all");
}

TEST(FaultInjectionEnv, TheNthOperationFailsOnce) {
  FaultInjectionEnv env;
  const std::uint64_t before = env.operations();
  env.FailOperation(2, EIO);
  auto file = env.NewWritableFile("/f", 0644);  // 1
  ASSERT_TRUE(file.ok());
  Status failed = (*file)->Append("x");  // 2
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_NE(failed.message().find("write /f"), std::string::npos) << failed.message();
  EXPECT_TRUE((*file)->Append("y").ok());  // 3
  EXPECT_EQ(env.operations() - before, 3u);
  EXPECT_EQ(Contents(env, "/f"), "y");
}

TEST(FaultInjectionEnv, APowerCutAtTheNthOperationStopsEverythingFromIt) {
  FaultInjectionEnv env;
  env.CutPowerAt(3);
  // Create, append, then the cut instead of the sync.
  EXPECT_EQ(Write(env, "/f", "synced", true).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(env.PowerIsOn());
  EXPECT_EQ(env.RenameFile("/f", "/g").code(), StatusCode::kUnavailable);
  env.Restart();
  EXPECT_EQ(env.Stat("/f").status().code(), StatusCode::kNotFound) << "the folder was never synced";
}

TEST(FaultInjectionEnv, AFullDiskRefusesWritesUntilSpaceReturns) {
  FaultInjectionEnv env;
  env.SetCapacity(10);
  ASSERT_TRUE(Write(env, "/a", "123456", false).ok());
  Status full = Write(env, "/b", "abcdef", false);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("disk full"), std::string::npos) << full.message();
  EXPECT_EQ(Contents(env, "/b"), "abcd") << "what fits is written";
  EXPECT_EQ(env.UsedBytes(), 10u);
  ASSERT_TRUE(env.RemoveFile("/a").ok());
  EXPECT_TRUE(Write(env, "/c", "abcdef", false).ok()) << "removing a file frees its space";
  env.SetCapacity(std::nullopt);
  EXPECT_TRUE(Write(env, "/d", std::string(1000, 'x'), false).ok());
}

TEST(FaultInjectionEnv, PathsAreNormalisedAndFoldersChecked) {
  FaultInjectionEnv env;
  ASSERT_TRUE(CreateDirs(env, "/a/b").ok());
  ASSERT_TRUE(Write(env, "/a//b/./f", "x", false).ok());
  EXPECT_EQ(Contents(env, "/a/b/../b/f"), "x");
  EXPECT_EQ(Write(env, "/missing/f", "x", false).code(), StatusCode::kNotFound);
  EXPECT_EQ(env.CreateDir("/a/b", 0755).code(), StatusCode::kAlreadyExists);
  auto files = ListFilesRecursively(env, "/a");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, std::vector<std::string>{"/a/b/f"});
}

}  // namespace
}  // namespace oncoatlas
