"""The WeCom (企业微信) channel plugin: corp accounts, the API client, callbacks and the local WeCom sandbox."""
