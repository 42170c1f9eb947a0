// Filled in by the photo-pipeline work (issue 13).
