class TokenFixtures {
    static final String ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJLMGxRUmk4XzA1ZU45XzVT" +
            "TkhuQ1RzN19iMW9TVDBfV0ZsVHA4ZGowMUZnIn0." +
            "eyJleHAiOjE3NTU3MjE2NjYsImlhdCI6MTc1NTcyMTM2NiwiYXV0aF90aW1lIjoxNzU1NzIx" +
            "MzY2LCJqdGkiOiIxNzlhMDRlOC02YTQxLTQxYmItYWIyMC0xNGQ1NWE4NTE4YWYiLCJpc3Mi" +
            "OiJodHRwOi8vbG9jYWxob3N0OjgwODUvcmVhbG1zL09TU1MiLCJzdWIiOiI4YmVmZWFjNC04" +
            "OTYzLTQ5ZGEtYTlhYy1mMzEwZThkOTIyZDgiLCJ0eXAiOiJCZWFyZXIiLCJhenAiOiJvc3Nz" +
            "LWNsaWVudCIsInNpZCI6IjU0ZGIxNTAyLWE1ZGMtNGEyNy1hZjYyLWVlZWYwNjk0YTYyOCIs" +
            "InJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJ1bWFfYXV0aG9yaXphdGlvbiJdfSwicmVzb3Vy" +
            "Y2VfYWNjZXNzIjp7Im9zc3MtY2xpZW50Ijp7InJvbGVzIjpbInVzZXIiXX0sImFjY291bnQi" +
            "Onsicm9sZXMiOlsidmlldy1wcm9maWxlIl19fSwic2NvcGUiOiJvcGVuaWQgZW1haWwgd2Vi" +
            "LW9yaWdpbnMgcHJvZmlsZSByb2xlcyIsImVtYWlsX3ZlcmlmaWVkIjp0cnVlLCJwcmVmZXJy" +
            "ZWRfdXNlcm5hbWUiOiJ0ZWFjaGVyQGV4YW1wbGUub3JnIiwiZ2l2ZW5fbmFtZSI6IlBhdCIs" +
            "ImZhbWlseV9uYW1lIjoiVGVhY2hlciIsImVtYWlsIjoidGVhY2hlckBleGFtcGxlLm9yZyJ9" +
            "." +
            "RSZQfI29nBjI3hhhahVrizQE7DCbqO4PJaEWebhgFvvsg11P3FHvCWiPgLW-LLEJkWZPHC9k" +
            "Aq40mX3EmUcGK_mU1y3fT0ZZrISMHLLf90k-KbOu3x-U7dR2kVDQDtsYsAAhnGEZWXZSyH8C" +
            "6mxAqFUb4eKI42tobRywBeMNBMiuuJ8PJJFD6hy9UF7vRKgTQ-iOeX1Lio0GguvzGFgB0MUl" +
            "Xn76T7xHDNtyJPgC83D5bR8hGBhXkvq3oUrfP8iWjQSEJ82VpTWFlz3dKhR86f1KKwwdhAak" +
            "_47MUMkakB_JJcogFp5J-VdFQ_tAO15y6WiAxHyfzpLLHRMWec9Gow";
}
