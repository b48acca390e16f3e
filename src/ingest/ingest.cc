#include "ingest/ingest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "classify/counter_names.h"
#include "common/ratio.h"

namespace scanscope {

namespace {

constexpr size_t kRecordChunk = 1 << 16;
constexpr uint64_t kProgressEveryPackets = 1 << 18;

// The first bytes of a file, through gzip when it is compressed.
Result<std::string> PeekContent(const std::string& path, size_t n) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(path + ": " + std::strerror(errno));
  std::string buf(n, '\0');
  int got = gzread(f, buf.data(), static_cast<unsigned>(n));
  gzclose(f);
  if (got < 0) return Status::IoError(path + ": cannot read");
  buf.resize(static_cast<size_t>(got));
  return buf;
}

Result<InputFormat> DetectFormat(const std::string& path) {
  auto head = PeekContent(path, 4096);
  if (!head.ok()) return head.status();
  const std::string& h = *head;
  if (h.empty()) return Status::InvalidArgument(path + ": empty file");
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(h.data()), h.size());
  if (h.size() >= 4) {
    uint32_t magic;
    std::memcpy(&magic, h.data(), 4);
    if (magic == 0x0A0D0D0A) return InputFormat::kPcapng;
    if (magic == 0xA1B2C3D4 || magic == 0xD4C3B2A1 || magic == 0xA1B23C4D || magic == 0x4D3CB2A1) {
      return InputFormat::kPcap;
    }
  }
  if (LooksLikeCapture(bytes)) return InputFormat::kPcap;
  // Text: a firewall log if the first lines are text.
  size_t printable = 0;
  for (unsigned char c : h)
    printable += (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
  if (printable * 100 >= h.size() * 95) return InputFormat::kNetfilter;
  return Status::InvalidArgument(
      path + ": not a pcap, pcapng or firewall log (use --format to say which)");
}

// What the first bytes of a file look like, for the one line that says a file
// was not recognised: "a pcap capture", "text: \"first line\"", "binary data: 00 01 ...".
std::string LooksLike(const std::string& path) {
  auto head = PeekContent(path, 4096);
  if (!head.ok() || head->empty()) return "nothing readable";
  const std::string& h = *head;
  if (h.size() >= 4) {
    uint32_t magic;
    std::memcpy(&magic, h.data(), 4);
    if (magic == 0x0A0D0D0A) return "a pcapng capture";
    if (magic == 0xA1B2C3D4 || magic == 0xD4C3B2A1 || magic == 0xA1B23C4D || magic == 0x4D3CB2A1) {
      return "a pcap capture";
    }
  }
  size_t printable = 0;
  for (unsigned char c : h)
    printable += (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
  if (printable * 100 >= h.size() * 95) {
    std::string line = h.substr(0, h.find('\n'));
    if (line.size() > 80) line = line.substr(0, 80) + "...";
    for (char& c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return "text, first line \"" + line + "\"";
  }
  std::string bytes;
  for (size_t i = 0; i < std::min<size_t>(h.size(), 16); ++i) {
    bytes += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(h[i]));
  }
  return "binary data, first bytes " + bytes;
}

// Nothing of the file was of a known format: not one capture record and not
// one firewall log line (well formed or damaged).
bool NothingRecognised(const FileIngestReport& r) {
  if (r.format != InputFormat::kNetfilter) return false;  // the capture header was read
  if (r.packets > 0) return false;
  for (uint64_t n : r.log.malformed) {
    if (n > 0) return false;
  }
  return true;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Accumulates accesses in chunks and hands each chunk to two worker threads
// in turn: the first leaves out the accesses the store already holds
// (IngestWriter::RemoveStored) and aggregates the rest into source-days
// (AddToDays), then passes the chunk to the second, which keeps its raw
// records (AppendRaw: encoding, compression, the store's write). Each works on
// a different chunk at a time: with the reading thread that makes three
// streams of work for two cores, which the scheduler balances. Each worker's
// queue is bounded: a slow store slows the reader instead of growing memory.
class AccessSink {
 public:
  // `writer` resolves to the store writer, or to nullptr when there is none
  // (the batch is already stored, or the store failed): then the chunks are
  // dropped and failed() turns true so that the reader stops.
  AccessSink(std::shared_future<IngestWriter*> writer, FileIngestReport* report)
      : writer_(std::move(writer)),
        report_(report),
        raw_([this](Chunk& c) { return Writer()->AppendRaw(c.records); }, this, nullptr),
        days_(
            [this](Chunk& c) {
              Result<uint64_t> removed = Writer()->RemoveStored(&c.records);
              if (!removed.ok()) return removed.status();
              return Writer()->AddToDays(c.records);
            },
            this, &raw_) {
    chunk_ = NewChunk();
  }
  ~AccessSink() { (void)Finish(); }

  void Add(const AccessRecord& r) {
    chunk_->records.push_back(r);
    uint64_t t = static_cast<uint64_t>(r.time_ns);
    if (report_->accesses == 0 || t < report_->first_ns) report_->first_ns = t;
    if (t > report_->last_ns) report_->last_ns = t;
    ++report_->accesses;
    if (chunk_->records.size() == kRecordChunk) Hand();
  }
  // True once the store has failed; the reader stops then.
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // Hands over what is left and waits for both workers to finish.
  Status Finish() {
    if (!finished_) {
      finished_ = true;
      if (!chunk_->records.empty()) Hand();
      days_.Stop();  // first: it hands its last chunks to raw_
      raw_.Stop();
    }
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  struct Chunk {
    std::vector<AccessRecord> records;
  };

  // One thread working through a bounded queue of chunks; each chunk goes on
  // to `next` when there is one, else back to the sink.
  class Worker {
   public:
    Worker(std::function<Status(Chunk&)> work, AccessSink* sink, Worker* next)
        : work_(std::move(work)), sink_(sink), next_(next), thread_([this] { Run(); }) {}
    void Push(Chunk* c) {
      {
        std::unique_lock lock(mu_);
        space_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
        queue_.push_back(c);
      }
      ready_.notify_one();
    }
    void Stop() {
      if (!thread_.joinable()) return;
      {
        std::lock_guard lock(mu_);
        done_ = true;
      }
      ready_.notify_one();
      thread_.join();
    }

   private:
    void Run() {
      for (;;) {
        Chunk* c;
        {
          std::unique_lock lock(mu_);
          ready_.wait(lock, [&] { return !queue_.empty() || done_; });
          if (queue_.empty()) return;
          c = queue_.front();
          queue_.pop_front();
        }
        space_.notify_one();
        if (!sink_->failed() && sink_->WaitForWriter()) {
          if (Status s = work_(*c); !s.ok()) sink_->Fail(s);
        }
        if (next_ != nullptr) {
          next_->Push(c);
        } else {
          sink_->Release(c);
        }
      }
    }
    std::function<Status(Chunk&)> work_;
    AccessSink* sink_;
    Worker* next_;
    std::mutex mu_;
    std::condition_variable ready_, space_;
    std::deque<Chunk*> queue_;
    bool done_ = false;
    std::thread thread_;  // last: starts after every other member exists
  };

  static constexpr size_t kMaxQueued = 4;

  std::unique_ptr<Chunk> NewChunk() {
    std::unique_ptr<Chunk> c;
    {
      std::lock_guard lock(mu_);
      if (!spare_.empty()) {
        c = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (!c) c = std::make_unique<Chunk>();
    c->records.clear();
    c->records.reserve(kRecordChunk);
    return c;
  }
  void Hand() {
    days_.Push(chunk_.release());
    chunk_ = NewChunk();
  }
  // Called by the last worker when done with a chunk: recycles it.
  void Release(Chunk* c) {
    std::lock_guard lock(mu_);
    spare_.emplace_back(c);
  }
  IngestWriter* Writer() const { return writer_.get(); }
  // Blocks until the writer is known; false (and failed) when there is none.
  bool WaitForWriter() {
    if (writer_.get() != nullptr) return true;
    failed_.store(true, std::memory_order_relaxed);
    return false;
  }
  void Fail(const Status& s) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = s;
    failed_.store(true, std::memory_order_relaxed);
  }

  std::shared_future<IngestWriter*> writer_;
  FileIngestReport* report_;
  std::unique_ptr<Chunk> chunk_;
  std::mutex mu_;  // guards spare_ and status_
  std::vector<std::unique_ptr<Chunk>> spare_;
  Status status_;
  std::atomic<bool> failed_{false};
  bool finished_ = false;
  // Last: their threads start after every other member exists; raw_ before
  // days_, which hands chunks on to it.
  Worker raw_;
  Worker days_;
};

Status IngestCapture(const std::string& path, const IngestOptions& options, InputFormat format,
                     Classifier& classifier, AccessSink& sink, FileIngestReport& report,
                     const IngestProgress& progress) {
  auto file = OpenCaptureFile(path, format == InputFormat::kPcapng ? CaptureFormat::kPcapng
                                    : format == InputFormat::kPcap ? CaptureFormat::kPcap
                                                                   : CaptureFormat::kAuto);
  if (!file.ok()) return file.status();
  CaptureFile& capture = **file;
  CoverageTracker life(options.max_silence_ns);
  Frame frame;
  PacketView packet;
  AccessRecord record;
  uint64_t next_progress = kProgressEveryPackets;
  while (capture.Next(&frame)) {
    ++report.packets;
    life.Observe(frame.time_ns);
    DecodeResult d = DecodeFrame(frame.link_type, frame.data, &packet);
    report.decode.Add(d);
    if (d == DecodeResult::kOk &&
        classifier.Classify(frame.time_ns, packet, &record) == ClassifyResult::kAccess) {
      sink.Add(record);
    }
    if (report.packets == next_progress) {
      next_progress += kProgressEveryPackets;
      if (sink.failed()) break;
      if (progress) progress(capture.counters().bytes, capture.size_hint(), report.packets);
    }
  }
  if (!capture.error().ok()) report.stop_reason = capture.error().message();
  // What the capture tool recorded of its own watch, when it did, is better
  // than what the packets suggest.
  report.coverage =
      capture.statistics_spans().empty() ? life.Finish() : IntervalSet(capture.statistics_spans());
  report.capture = capture.counters();
  report.input_bytes = capture.counters().bytes;
  return sink.Finish();
}

Status IngestLog(const std::string& path, const IngestOptions& options, Classifier& classifier,
                 AccessSink& sink, FileIngestReport& report, const IngestProgress& progress) {
  LogParseOptions log_options;
  log_options.year = options.log_year;
  log_options.zone = options.log_zone;
  CoverageTracker life(options.max_silence_ns);
  log_options.life = &life;
  auto reader = OpenNetfilterLog(path, log_options);
  if (!reader.ok()) return reader.status();
  NetfilterLogReader& log = **reader;
  LoggedPacket logged;
  AccessRecord record;
  uint64_t next_progress = kProgressEveryPackets;
  while (log.Next(&logged)) {
    ++report.packets;
    if (classifier.ClassifyLogged(logged, &record) == ClassifyResult::kAccess) {
      sink.Add(record);
    }
    if (report.packets == next_progress) {
      next_progress += kProgressEveryPackets;
      if (sink.failed()) break;
      if (progress) progress(log.counters().bytes, log.size_hint(), report.packets);
    }
  }
  if (!log.error().ok()) report.stop_reason = log.error().message();
  report.coverage = life.Finish();
  report.log = log.counters();
  report.lines = log.counters().lines;
  report.input_bytes = log.counters().bytes;
  for (const std::string& w : log.warnings()) report.warnings.push_back(w);
  return sink.Finish();
}

}  // namespace

const char* InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kPcap:
      return "pcap";
    case InputFormat::kPcapng:
      return "pcapng";
    case InputFormat::kNetfilter:
      return "netfilter";
    case InputFormat::kAuto:
      return "auto";
  }
  return "?";
}

Result<InputFormat> ParseInputFormat(std::string_view text) {
  for (InputFormat f :
       {InputFormat::kAuto, InputFormat::kPcap, InputFormat::kPcapng, InputFormat::kNetfilter}) {
    if (text == InputFormatName(f)) return f;
  }
  return Status::InvalidArgument("--format must be auto, pcap, pcapng or netfilter, got '" +
                                 std::string(text) + "'");
}

Result<std::string> FileBatchId(const std::string& point, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Status::IoError(path + ": " + std::strerror(errno));
    ::close(fd);
    return s;
  }
  XXH128_hash_t h{};
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    // Mapped, not read: the capture reader maps the same pages right after.
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                       MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) {
      Status s = Status::IoError(path + ": " + std::strerror(errno));
      ::close(fd);
      return s;
    }
    ::madvise(map, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL | MADV_WILLNEED);
    h = XXH3_128bits(map, static_cast<size_t>(st.st_size));
    ::munmap(map, static_cast<size_t>(st.st_size));
  } else {
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    std::vector<char> buf(1 << 20);
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        XXH3_freeState(state);
        Status s = Status::IoError(path + ": " + std::strerror(errno));
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      XXH3_128bits_update(state, buf.data(), static_cast<size_t>(n));
    }
    h = XXH3_128bits_digest(state);
    XXH3_freeState(state);
  }
  ::close(fd);
  return fmt::format("{}:{:016x}{:016x}", point, h.high64, h.low64);
}

Result<FileIngestReport> IngestFile(Store& store, const IngestOptions& options,
                                    const std::string& path, const IngestProgress& progress) {
  auto t0 = std::chrono::steady_clock::now();
  FileIngestReport report;
  report.path = path;

  InputFormat format = options.format;
  if (format == InputFormat::kAuto) {
    auto detected = DetectFormat(path);
    if (!detected.ok()) return detected.status();
    format = *detected;
  }
  report.format = format;

  // The batch id needs a hash of the whole file. It is computed on its own
  // thread while reading starts; the store writer begins once it is known,
  // and the sink's workers wait for it (their bounded queues hold the reader
  // back meanwhile). A batch already in the ledger stops the reader.
  std::unique_ptr<IngestWriter> writer;  // outlives the sink that uses it
  Status begin_status;
  std::string batch_id;
  std::promise<IngestWriter*> writer_promise;
  AccessSink sink(writer_promise.get_future().share(), &report);
  {
    std::jthread begin([&] {
      auto id = FileBatchId(options.point, path);
      if (id.ok()) {
        batch_id = *id;
        auto w = store.BeginIngest({batch_id, options.point, path});
        if (w.ok()) {
          writer = std::move(*w);
        } else {
          begin_status = w.status();
        }
      } else {
        begin_status = id.status();
      }
      writer_promise.set_value(writer.get());
    });

    ClassifyOptions classify_options;
    classify_options.watched = options.watched;
    Classifier classifier(classify_options);
    Status s = format == InputFormat::kNetfilter
                   ? IngestLog(path, options, classifier, sink, report, progress)
                   : IngestCapture(path, options, format, classifier, sink, report, progress);
    begin.join();
    report.batch_id = batch_id;
    if (!begin_status.ok()) {
      if (!begin_status.IsAlreadyExists()) return begin_status;
      FileIngestReport skipped;
      skipped.path = path;
      skipped.format = report.format;
      skipped.batch_id = batch_id;
      skipped.already_ingested = true;
      skipped.seconds = SecondsSince(t0);
      return skipped;
    }
    if (!s.ok()) return s;  // the writer's destructor rolls the batch back
    report.classify = classifier.counters();
  }
  // A file that counted nothing is not recorded (the writer's destructor
  // rolls it back), so that the right options can ingest it later.
  if (NothingRecognised(report)) {
    return Status::InvalidArgument(fmt::format(
        "{}: not recognised: no firewall log line among {} lines, and not a capture; it looks "
        "like {} (not recorded)",
        path, WithThousands(report.lines), LooksLike(path)));
  }
  if (report.accesses == 0) {
    std::string counts;
    for (const auto& [name, value] : report.NamedCounters()) {
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", name, WithThousands(value));
    }
    return Status::InvalidArgument(
        fmt::format("{}: 0 accesses among {} {} read{}{}: not recorded (check --watch and "
                    "--format)",
                    path, WithThousands(report.packets),
                    report.format == InputFormat::kNetfilter ? "LOG lines" : "packets",
                    counts.empty() ? "" : "; not accesses: ", counts));
  }
  report.duplicates = writer->duplicates();
  report.accesses -= report.duplicates;
  report.seconds = SecondsSince(t0);
  writer->AddCoverage(report.coverage);
  SCANSCOPE_RETURN_IF_ERROR(writer->Commit(report.ToJson()));
  report.seconds = SecondsSince(t0);
  return report;
}

std::vector<std::pair<std::string, uint64_t>> FileIngestReport::NamedCounters() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto add = [&](std::string name, uint64_t v) {
    if (v != 0) out.emplace_back(std::move(name), v);
  };
  add("already_stored", duplicates);
  ForEachNotCountedCounter(classify, decode, log,
                           [&](std::string_view name, uint64_t v) { add(std::string(name), v); });
  for (size_t i = 0; i < static_cast<size_t>(CaptureIssue::kCount); ++i) {
    auto issue = static_cast<CaptureIssue>(i);
    std::string prefix = issue == CaptureIssue::kSkippedBlock ? "" : "capture.";
    add(prefix + std::string(CaptureIssueName(issue)), capture.issues[i]);
  }
  return out;
}

std::string FileIngestReport::ToJson() const {
  nlohmann::json j;
  j["path"] = path;
  j["format"] = InputFormatName(format);
  j["batch_id"] = batch_id;
  j["already_ingested"] = already_ingested;
  j["input_bytes"] = input_bytes;
  j["packets"] = packets;
  if (format == InputFormat::kNetfilter) j["lines"] = lines;
  j["accesses"] = accesses;
  j["already_stored"] = duplicates;
  if (classify.fragments_with_port_type_of_first != 0) {
    j["fragments_with_port_type_of_first"] = classify.fragments_with_port_type_of_first;
  }
  j["first_ns"] = first_ns;
  j["last_ns"] = last_ns;
  nlohmann::json watched = nlohmann::json::array();
  for (const CoverageInterval& i : coverage.intervals()) watched.push_back({i.from_ns, i.to_ns});
  j["coverage"] = watched;
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [name, value] : NamedCounters()) counters[name] = value;
  j["counters"] = counters;
  if (!warnings.empty()) j["warnings"] = warnings;
  if (!stop_reason.empty()) j["stop_reason"] = stop_reason;
  j["seconds"] = seconds;
  return j.dump();
}

}  // namespace scanscope
