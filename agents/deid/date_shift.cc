#include "deid/date_shift.h"

#include <chrono>
#include <cstdio>

namespace oncoatlas::deid {

Result<std::string> ShiftDate(std::string_view da, int days) {
  if (da.size() != 8) return InvalidArgumentError("date is not YYYYMMDD");
  for (char c : da) {
    if (c < '0' || c > '9') return InvalidArgumentError("date is not YYYYMMDD");
  }
  int y = std::stoi(std::string(da.substr(0, 4)));
  unsigned m = static_cast<unsigned>(std::stoi(std::string(da.substr(4, 2))));
  unsigned d = static_cast<unsigned>(std::stoi(std::string(da.substr(6, 2))));
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return InvalidArgumentError("date is not a calendar date");
  std::chrono::year_month_day shifted{std::chrono::sys_days{ymd} + std::chrono::days{days}};
  int sy = static_cast<int>(shifted.year());
  if (sy < 1 || sy > 9999) return InvalidArgumentError("shifted date is out of range");
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02u", sy, static_cast<unsigned>(shifted.month()),
                static_cast<unsigned>(shifted.day()));
  return std::string(buf);
}

Result<std::string> ShiftDateTime(std::string_view dt, int days) {
  if (dt.size() < 8) return InvalidArgumentError("date-time has no full date");
  auto date = ShiftDate(dt.substr(0, 8), days);
  if (!date.ok()) return date.status();
  return *date + std::string(dt.substr(8));
}

}  // namespace oncoatlas::deid
