// TensorBoard event files: a writer that appends scalar and text summaries as TFRecords, and a
// reader that checks every record (for tests and tools).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mbrl {

/// Whether this build writes event files (it needs Protocol Buffers, found at configure time;
/// without it run folders have no event file and the CSVs are the record).
bool event_files_supported();

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of n bytes; crc32c("123456789") is
/// 0xE3069283.
uint32_t crc32c(const void* data, size_t n);
/// TFRecord's masked CRC: ((c >> 15) | (c << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t n);

/// Appends TensorBoard events to `<dir>/events.out.tfevents.<unix time>.<host>.<pid>.<n>`, one
/// TFRecord per event (u64le length, masked CRC of the length, the serialized Event, masked CRC
/// of the data). The first record is the file version ("brain.Event:2").
///
/// Each event is appended with one write call, so a killed run leaves a file whose every
/// complete record is valid (a reader stops at a torn last record). Not thread-safe.
class EventFileWriter {
 public:
  /// Creates the file; IoError naming the path when it cannot. InternalError when
  /// !event_files_supported().
  explicit EventFileWriter(const std::filesystem::path& dir);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// One event at `step` holding every (tag, value) as a scalar summary.
  void write_scalars(int64_t step, const std::vector<std::pair<std::string, double>>& scalars);
  /// One event at `step` holding `text` under `tag` for TensorBoard's text plugin.
  void write_text(int64_t step, const std::string& tag, const std::string& text);
  /// A SessionLog START at `step`: TensorBoard then drops the events of earlier files of the run
  /// folder at steps >= step (written after the checkpoint a resumed run continues from).
  void write_session_start(int64_t step);

 private:
  void append(const std::string& event_bytes);

  std::filesystem::path path_;
  int fd_ = -1;
};

/// One event as read back.
struct EventRecord {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;  // set on the first record only
  bool session_start = false;
  struct Value {
    std::string tag;
    std::optional<float> scalar;
    std::optional<std::string> text;
  };
  std::vector<Value> values;
};

/// Every event of an event file, in order. Both CRCs of each record are checked: a bad CRC or a
/// malformed event is a DataError naming the path and the record's byte offset. A torn last
/// record (a run killed mid-write) ends the read without error when `allow_torn_tail`.
std::vector<EventRecord> read_event_file(const std::filesystem::path& path,
                                         bool allow_torn_tail = true);

/// The event files of a run folder, oldest first (file names sort by creation time).
std::vector<std::filesystem::path> event_files_in(const std::filesystem::path& dir);

}  // namespace mbrl
