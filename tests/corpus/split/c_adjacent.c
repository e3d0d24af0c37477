/* Adjacent literals are joined by the compiler. */
static const char *ACCESS_TOKEN =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ2ZXIiOjEsImp0aSI6IkFULnJ"
    "2Ym5TNGlXdTJhRE5jYTNid1RmMEg5ZVdjV2xsS1FlaU5ZX1ZlSW1NWkEiLCJpc3M"
    "iOiJodHRwczovL2F1dGgtanMtdGVzdC5va3RhLmNvbS9vYXV0aDIvYXVzOGF1czc"
    "2cThpcGh1cEQwaDciLCJhdWQiOiJodHRwOi8vZXhhbXBsZS5jb20iLCJzdWIiOiI"
    "wMHUxcGNsYTVxWUlSRURMV0NRViIsImlhdCI6MTQ2ODQ2NzY0NywiZXhwIjoxNDY"
    "4NDcxMjQ3LCJjaWQiOiJQZjBhaWZyaFladTF2MFAxYkZGeiIsInVpZCI6IjAwdTF"
    "wY2xhNXFZSVJFRExXQ1FWIiwic2NwIjpbIm9wZW5pZCIsImVtYWlsIl19.ziKfS8"
    "IjSdOdTHCZllTDnLFdE96U9bSIsJzI0MQ0zlnM2QiiA7nvS54k6Xy78ebnkJvmeM"
    "CctjXVKkJOEhR6vs11qVmIgbwZ4--MqUIRU3WoFEsr0muLl039QrUa1EQ9-Ua9rP"
    "OMaO0pFC6h2lfB_HfzGifXATKsN-wLdxk6cgA";
