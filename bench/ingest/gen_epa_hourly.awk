# Writes an EPA AQS pre-generated hourly ozone file (the 24 columns of SPEC §2) with
# `rows` rows: sites × hours of 2023, values in ppm. Usage:
#   awk -v rows=20000000 -f bench/ingest/gen_epa_hourly.awk > hourly_44201_2023.csv
BEGIN {
  print "\"State Code\",\"County Code\",\"Site Num\",\"Parameter Code\",\"POC\",\"Latitude\",\"Longitude\",\"Datum\",\"Parameter Name\",\"Date Local\",\"Time Local\",\"Date GMT\",\"Time GMT\",\"Sample Measurement\",\"Units of Measure\",\"MDL\",\"Uncertainty\",\"Qualifier\",\"Method Type\",\"Method Code\",\"Method Name\",\"State Name\",\"County Name\",\"Date of Last Change\""
  split("31 28 31 30 31 30 31 31 30 31 30 31", dim, " ")
  n = 0; site = 0
  while (n < rows) {
    site++
    st = sprintf("%02d", 1 + site % 56); co = sprintf("%03d", 1 + (site * 7) % 200); sn = sprintf("%04d", site)
    for (m = 1; m <= 12 && n < rows; m++) for (d = 1; d <= dim[m] && n < rows; d++) {
      date = sprintf("2023-%02d-%02d", m, d)
      for (h = 0; h < 24 && n < rows; h++) {
        v = (17 + (site * 31 + d * 7 + h * 13) % 61) / 1000
        if (n % 997 == 0) vs = ""; else vs = sprintf("%.3f", v)
        printf "\"%s\",\"%s\",\"%s\",\"44201\",1,34.06659,-118.22688,\"WGS84\",\"Ozone\",\"%s\",\"%02d:00\",\"%s\",\"%02d:00\",%s,\"Parts per million\",0.005,,,\"FEM\",\"087\",\"INSTRUMENTAL - ULTRA VIOLET ABSORPTION\",\"California\",\"Los Angeles\",\"2024-02-01\"\n", st, co, sn, date, h, date, h, vs
        n++
      }
    }
  }
}
